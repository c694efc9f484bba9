// A 3D model file (obj, gltf, glb, stl) as a three.js scene graph: parsed with three's own
// loaders, painted when the format carries no materials, counted and framed. No DOM and no
// WebGL here (the unit tests run it under Node); mesh_view.ts draws what this makes.

import type { BufferGeometry, Line, Material, Object3D, Points } from "three";
import {
  Box3,
  DoubleSide,
  Group,
  LineBasicMaterial,
  MathUtils,
  Mesh,
  MeshStandardMaterial,
  PointsMaterial,
  Sphere,
  Vector3,
} from "three";
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";
import { OBJLoader } from "three/examples/jsm/loaders/OBJLoader.js";
import { STLLoader } from "three/examples/jsm/loaders/STLLoader.js";

const MESSAGE_LENGTH = 160;

/** The model formats Object3D stores as they are (nbrun/data_types/object3d.py). */
export type ModelFormat = "obj" | "gltf" | "glb" | "stl";

/** What the GPU draws: vertices of every mesh, line and point set; triangles of the meshes. */
export interface ModelStats {
  vertices: number;
  triangles: number;
}

export interface Model {
  root: Object3D;
  stats: ModelStats;
  /** The sphere that bounds every vertex (in the root's frame), for the camera to fit. */
  bounds: Sphere;
}

interface Drawable extends Object3D {
  geometry: BufferGeometry;
  material: Material | Material[];
}

const isMesh = (object: Object3D): boolean => (object as Partial<Mesh>).isMesh === true;
const isPoints = (object: Object3D): boolean => (object as Partial<Points>).isPoints === true;
const drawable = (object: Object3D): object is Drawable =>
  isMesh(object) || isPoints(object) || (object as Partial<Line>).isLine === true;

/** Run `visit` on every mesh, line and point set under `root`. */
function eachDrawable(root: Object3D, visit: (object: Drawable) => void): void {
  root.traverse((object) => {
    if (drawable(object)) {
      visit(object);
    }
  });
}

function modelStats(root: Object3D): ModelStats {
  const stats = { vertices: 0, triangles: 0 };
  eachDrawable(root, (object) => {
    const { geometry } = object;
    const positions = geometry.getAttribute("position")?.count ?? 0;
    stats.vertices += positions;
    if (isMesh(object)) {
      stats.triangles += Math.floor((geometry.index?.count ?? positions) / 3);
    }
  });
  return stats;
}

/** obj and stl carry no materials (obj's .mtl is a file apart): one colour, both faces lit (their
 * winding is often inconsistent), their own vertex colours where they have them. */
function paint(root: Object3D, color: string): void {
  eachDrawable(root, (object) => {
    const vertexColors = object.geometry.getAttribute("color") !== undefined;
    const old = object.material;
    if (isMesh(object)) {
      object.material = new MeshStandardMaterial({ color, vertexColors, side: DoubleSide, roughness: 0.6 });
    } else if (isPoints(object)) {
      object.material = new PointsMaterial({ color, vertexColors, size: 3, sizeAttenuation: false });
    } else {
      object.material = new LineBasicMaterial({ color, vertexColors });
    }
    for (const material of Array.isArray(old) ? old : [old]) {
      material.dispose();
    }
  });
}

/** A loader's own words, without its class name, cut short (some quote whole URIs). */
function loaderMessage(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^THREE\.\w+: /, "");
  return message.length > MESSAGE_LENGTH ? `${message.slice(0, MESSAGE_LENGTH)}…` : message;
}

async function parse(format: ModelFormat, bytes: ArrayBuffer, resourcePath: string): Promise<Object3D> {
  switch (format) {
    case "obj":
      return new OBJLoader().parse(new TextDecoder().decode(bytes));
    case "stl": {
      // the facets' normals again from their corners: many writers leave them zero
      const geometry = new STLLoader().parse(bytes);
      geometry.computeVertexNormals();
      return new Group().add(new Mesh(geometry));
    }
    case "gltf":
    case "glb":
      return (await new GLTFLoader().parseAsync(bytes, resourcePath)).scene;
  }
}

/** Parse a model file. Rejects with a message for people when the file is not one: unreadable,
 * nothing to draw, or coordinates that are not finite numbers. `resourcePath` is where a .gltf's
 * relative URIs (buffers and images in files of their own) resolve. */
export async function readModel(
  format: ModelFormat,
  bytes: ArrayBuffer,
  resourcePath: string,
  color: string,
): Promise<Model> {
  const root = await parse(format, bytes, resourcePath).catch((error: unknown) =>
    Promise.reject(new Error(`not a readable ${format} file (${loaderMessage(error)})`)),
  );
  if (format === "obj" || format === "stl") {
    paint(root, color);
  }
  const stats = modelStats(root);
  if (stats.vertices === 0) {
    disposeModel(root);
    throw new Error(`the ${format} file has nothing to draw (no vertices)`);
  }
  root.updateMatrixWorld(true);
  const bounds = new Box3().setFromObject(root).getBoundingSphere(new Sphere());
  if (!Number.isFinite(bounds.radius) || ![bounds.center.x, bounds.center.y, bounds.center.z].every(Number.isFinite)) {
    disposeModel(root);
    throw new Error(`the ${format} file has coordinates that are not finite numbers`);
  }
  return { root, stats, bounds };
}

/** Release the GPU side of what `root` holds: geometries, materials and their textures. */
export function disposeModel(root: Object3D): void {
  eachDrawable(root, ({ geometry, material }) => {
    geometry.dispose();
    for (const one of Array.isArray(material) ? material : [material]) {
      for (const value of Object.values(one)) {
        if (value !== null && typeof value === "object" && (value as { isTexture?: boolean }).isTexture) {
          (value as { dispose(): void }).dispose();
        }
      }
      one.dispose();
    }
  });
}

export interface Framing {
  position: Vector3;
  near: number;
  far: number;
  /** How far the orbit controls let the camera go from the model's centre. */
  minDistance: number;
  maxDistance: number;
}

/** The view direction of a fresh panel: from the front, right and a little above. */
const VIEW = new Vector3(1, 0.7, 1.4).normalize();
const MARGIN = 1.15;

/** A camera with vertical field of view `fov` (degrees) on a canvas `aspect` wide per unit of
 * height, placed so that `bounds` fits the narrower of its two fields of view with a margin. A
 * single point (radius 0) is framed as a unit sphere. */
export function frameSphere(bounds: Sphere, fov: number, aspect: number): Framing {
  const radius = bounds.radius > 0 ? bounds.radius : 1;
  const half = MathUtils.degToRad(fov) / 2;
  const narrower = Math.min(half, Math.atan(Math.tan(half) * (aspect > 0 ? aspect : 1)));
  const distance = (radius * MARGIN) / Math.sin(narrower);
  return {
    position: bounds.center.clone().addScaledVector(VIEW, distance),
    near: radius / 100,
    far: distance + radius * 100,
    minDistance: radius / 20,
    maxDistance: distance * 20,
  };
}
