// A model file drawn with three.js in a WebGL canvas: framed (the camera fits the model's
// bounding sphere), lit by a sky-and-ground light and a light at the camera, turned and
// zoomed with orbit controls (drag, wheel; double-click frames it again), on the page's panel
// colour in the light and dark themes alike. Frames are drawn on demand (after a move, a resize,
// a theme change), not in a loop. This module and three.js are one chunk that object3d.ts loads
// only for a page that shows a model.
//
// The box gets data-vertices and data-triangles once the model is read, and data-drawn="1" once
// a frame is on the canvas. It imports nothing of the app (what it needs comes as options), so
// that the app's main bundle and this chunk share no code that would become a third file.

import { Color, DirectionalLight, HemisphereLight, PerspectiveCamera, Scene, WebGLRenderer } from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import type { Model, ModelFormat } from "./mesh_model";
import { disposeModel, frameSphere, readModel } from "./mesh_model";

const FOV = 40;
const HEADLIGHT = 3;
const HEMISPHERE = 0.8;

function panelColour(): string {
  return getComputedStyle(document.documentElement).getPropertyValue("--panel").trim() || "#f7f7f9";
}

export interface ModelView {
  dispose(): void;
}

export interface ModelOptions {
  format: ModelFormat;
  bytes: ArrayBuffer;
  /** Where a .gltf's relative URIs resolve. */
  resourcePath: string;
  /** The colour of models whose format has no materials (obj, stl). */
  colour: string;
  /** The document event that says the page's theme changed. */
  themeEvent: string;
  /** Called when the browser takes the WebGL context away (the view is disposed by then). */
  onLost: () => void;
}

class View implements ModelView {
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera(FOV, 1);
  private readonly controls: OrbitControls;
  private readonly resizes: ResizeObserver;
  private readonly canvas: HTMLCanvasElement;
  private width = 0;
  private height = 0;
  private lost = false;
  private disposed = false;

  constructor(
    private readonly box: HTMLElement,
    private readonly model: Model,
    private readonly renderer: WebGLRenderer,
    private readonly options: ModelOptions,
  ) {
    this.canvas = renderer.domElement;
    this.canvas.style.display = "block";
    this.canvas.style.cursor = "grab";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "3D model: drag to turn, wheel to zoom, double-click to frame it");
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));

    // lights only: an environment map (PMREM) is the usual light for glTF's PBR materials,
    // but it took ~3 s per view where WebGL runs in software (headless Chromium, VMs)
    const headlight = new DirectionalLight(0xffffff, HEADLIGHT);
    // from the camera's upper left (it and its target move with the camera): faces shade apart
    headlight.position.set(-1, 1.5, 0.5);
    headlight.target.position.set(0, 0, -1);
    this.camera.add(headlight, headlight.target);
    this.scene.add(new HemisphereLight(0xffffff, 0x8d8d8d, HEMISPHERE));
    this.scene.add(this.camera, model.root);

    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.addEventListener("change", this.render);
    this.canvas.addEventListener("dblclick", this);
    this.canvas.addEventListener("webglcontextlost", this);
    document.addEventListener(options.themeEvent, this);
    this.theme();
    this.box.dataset["vertices"] = String(model.stats.vertices);
    this.box.dataset["triangles"] = String(model.stats.triangles);
    this.box.replaceChildren(this.canvas);
    this.measure();
    this.frame();
    this.resizes = new ResizeObserver(() => this.measure() && this.render());
    this.resizes.observe(this.box);
  }

  handleEvent(event: Event): void {
    if (event.type === "dblclick") {
      this.frame();
    } else if (event.type === "webglcontextlost") {
      // the browser drops the oldest contexts when a page holds too many (about 16)
      this.lost = true;
      this.dispose();
      this.options.onLost();
    } else {
      this.theme();
    }
  }

  /** Point the camera at the model from the default direction, the whole model in view. */
  private frame(): void {
    const framing = frameSphere(this.model.bounds, FOV, this.width / (this.height || 1));
    this.camera.position.copy(framing.position);
    this.camera.near = framing.near;
    this.camera.far = framing.far;
    this.controls.minDistance = framing.minDistance;
    this.controls.maxDistance = framing.maxDistance;
    this.controls.target.copy(this.model.bounds.center);
    this.camera.updateProjectionMatrix();
    if (!this.controls.update()) {
      this.render(); // (when the camera moved, the controls' "change" event drew already)
    }
  }

  private theme(): void {
    this.scene.background = new Color(panelColour());
    this.render();
  }

  /** Size the canvas and the camera to the box; false when its size has not changed. */
  private measure(): boolean {
    const width = this.box.clientWidth;
    const height = this.box.clientHeight;
    if (width === this.width && height === this.height) {
      return false;
    }
    this.width = width;
    this.height = height;
    this.renderer.setSize(width, height);
    this.camera.aspect = width / (height || 1);
    this.camera.updateProjectionMatrix();
    return true;
  }

  private readonly render = (): void => {
    if (this.width > 0 && this.height > 0) {
      this.renderer.render(this.scene, this.camera);
      this.box.dataset["drawn"] = "1";
    }
  };

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.resizes.disconnect();
    document.removeEventListener(this.options.themeEvent, this);
    this.canvas.removeEventListener("dblclick", this);
    this.canvas.removeEventListener("webglcontextlost", this);
    this.controls.removeEventListener("change", this.render);
    this.controls.dispose();
    disposeModel(this.model.root);
    this.renderer.dispose();
    if (!this.lost) {
      this.renderer.forceContextLoss(); // frees the context now, not at garbage collection
    }
  }
}

/** Read a model file and draw it into `box` (its children replaced by the canvas). Rejects with
 * a message for people when the file cannot be read or the browser has no WebGL. */
export async function drawModel(box: HTMLElement, options: ModelOptions): Promise<ModelView> {
  const model = await readModel(options.format, options.bytes, options.resourcePath, options.colour);
  let renderer: WebGLRenderer;
  try {
    renderer = new WebGLRenderer({ antialias: true });
  } catch {
    disposeModel(model.root);
    throw new Error("this browser cannot draw WebGL");
  }
  return new View(box, model, renderer, options);
}
