// Model files read with three.js's loaders (under Node: no WebGL needed): what each format
// gives to draw, the files that are not models, and the camera that frames a model.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Sphere, Vector3 } from "three";

import type { ModelFormat } from "../src/dashboard/panels/mesh_model";
import { frameSphere, readModel } from "../src/dashboard/panels/mesh_model";

const CORNERS = [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [-1, 1].map((z) => [x, y, z])));
const FACES = [
  [0, 1, 3, 2],
  [4, 6, 7, 5],
  [0, 4, 5, 1],
  [2, 3, 7, 6],
  [0, 2, 6, 4],
  [1, 5, 7, 3],
];
const TRIANGLES = FACES.flatMap(([a, b, c, d]) => [
  [a!, b!, c!],
  [a!, c!, d!],
]);

const bytes = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer;
const read = (format: ModelFormat, data: ArrayBuffer): ReturnType<typeof readModel> =>
  readModel(format, data, "", "#1f77b4");

const cubeObj = (): string =>
  CORNERS.map((c) => `v ${c.join(" ")}\n`).join("") + FACES.map((f) => `f ${f.map((i) => i + 1).join(" ")}\n`).join("");

function cubeStlAscii(): string {
  const facets = TRIANGLES.map(
    (t) =>
      `facet normal 0 0 0\nouter loop\n${t.map((i) => `vertex ${CORNERS[i]!.join(" ")}\n`).join("")}endloop\nendfacet\n`,
  );
  return `solid cube\n${facets.join("")}endsolid cube\n`;
}

/** A GLB (binary glTF) of an indexed cube: 8 corners shared by 12 triangles, centred on `at`. */
function cubeGlb(at: number[] = [0, 0, 0]): ArrayBuffer {
  const positions = new Float32Array(CORNERS.flatMap((c) => c.map((v, i) => v + at[i]!)));
  const indices = new Uint16Array(TRIANGLES.flat());
  const bin = new Uint8Array(positions.byteLength + indices.byteLength + 2); // padded to 4
  bin.set(new Uint8Array(positions.buffer), 0);
  bin.set(new Uint8Array(indices.buffer), positions.byteLength);
  const json = JSON.stringify({
    asset: { version: "2.0" },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1 }] }],
    buffers: [{ byteLength: bin.byteLength }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: positions.byteLength },
      { buffer: 0, byteOffset: positions.byteLength, byteLength: indices.byteLength },
    ],
    accessors: [
      { bufferView: 0, componentType: 5126, count: 8, type: "VEC3" },
      { bufferView: 1, componentType: 5123, count: 36, type: "SCALAR" },
    ],
  });
  const text = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 4) * 4, " "));
  const out = new DataView(new ArrayBuffer(12 + 8 + text.byteLength + 8 + bin.byteLength));
  const bytesOut = new Uint8Array(out.buffer);
  out.setUint32(0, 0x46546c67, true); // "glTF"
  out.setUint32(4, 2, true);
  out.setUint32(8, out.byteLength, true);
  out.setUint32(12, text.byteLength, true);
  out.setUint32(16, 0x4e4f534a, true); // "JSON"
  bytesOut.set(text, 20);
  out.setUint32(20 + text.byteLength, bin.byteLength, true);
  out.setUint32(24 + text.byteLength, 0x004e4942, true); // "BIN\0"
  bytesOut.set(bin, 28 + text.byteLength);
  return out.buffer;
}

test("an obj cube of six quads draws 12 triangles of their own corners", async () => {
  const model = await read("obj", bytes(cubeObj()));
  assert.deepEqual(model.stats, { vertices: 36, triangles: 12 });
  assert.ok(Math.abs(model.bounds.radius - Math.sqrt(3)) < 1e-6);
});

test("an ASCII stl cube draws its 12 facets, lit by normals made from their corners", async () => {
  const model = await read("stl", bytes(cubeStlAscii()));
  assert.deepEqual(model.stats, { vertices: 36, triangles: 12 });
  let normals = 0;
  model.root.traverse((object) => {
    const normal = (object as { geometry?: { getAttribute(name: string): { array: ArrayLike<number> } } }).geometry;
    if (normal) {
      normals = Array.from(normal.getAttribute("normal").array).filter((n) => n !== 0).length;
    }
  });
  assert.equal(normals, 36); // one non-zero component per vertex of an axis-aligned cube
});

test("a glb cube draws its 8 shared corners as 12 triangles, bounded where it is", async () => {
  const model = await read("glb", cubeGlb([10, 0, -5]));
  assert.deepEqual(model.stats, { vertices: 8, triangles: 12 });
  assert.deepEqual(model.bounds.center.toArray(), [10, 0, -5]);
});

test("files that are not models are refused with a message for people", async () => {
  const refused = async (format: ModelFormat, data: ArrayBuffer, message: RegExp): Promise<void> => {
    await assert.rejects(read(format, data), { message });
  };
  await refused("obj", bytes("hello\nworld\n"), /^the obj file has nothing to draw/);
  await refused("obj", bytes("v 0 0 0\nv 1 nan 0\nv 0 1 0\nf 1 2 3\n"), /not finite numbers$/);
  await refused("stl", bytes(`solid empty\n${" ".repeat(100)}\nendsolid empty\n`), /^the stl file has nothing to draw/);
  await refused("stl", bytes("solid"), /^not a readable stl file \(/); // shorter than its header
  await refused("glb", cubeGlb().slice(0, 40), /^not a readable glb file \(/);
  await refused("gltf", bytes("{ not json"), /^not a readable gltf file \(/);
  // a loader's message quoting a whole URI (of a buffer the file cannot reach) is cut short
  const long = JSON.stringify({
    asset: { version: "2.0" },
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0 }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
    accessors: [{ bufferView: 0, componentType: 5126, count: 1, type: "VEC3" }],
    bufferViews: [{ buffer: 0, byteLength: 12 }],
    buffers: [{ byteLength: 12, uri: `http://127.0.0.1:9/${"y".repeat(500)}.bin` }],
  });
  await refused(
    "gltf",
    bytes(long),
    /^not a readable gltf file \(Failed to load buffer "http:\/\/127\.0\.0\.1:9\/y{100,}…\)$/,
  );
});

test("the camera fits the bounding sphere in the narrower field of view, looking at its centre", () => {
  const bounds = new Sphere(new Vector3(5, 0, 0), 2);
  for (const aspect of [0.5, 1, 2.5]) {
    const framing = frameSphere(bounds, 40, aspect);
    const distance = framing.position.distanceTo(bounds.center);
    const halfVertical = (20 * Math.PI) / 180;
    const half = Math.min(halfVertical, Math.atan(Math.tan(halfVertical) * aspect));
    const seen = Math.asin(bounds.radius / distance); // the sphere's angular radius
    assert.ok(seen < half && seen > half * 0.8, `aspect ${aspect}: ${seen} vs ${half}`);
    assert.ok(framing.near < distance - bounds.radius && framing.far > distance + bounds.radius);
    assert.ok(framing.minDistance < distance && framing.maxDistance > distance);
  }
  const point = frameSphere(new Sphere(new Vector3(1, 2, 3), 0), 40, 1);
  assert.ok(point.position.distanceTo(new Vector3(1, 2, 3)) > 1); // a single point: a unit sphere
});
