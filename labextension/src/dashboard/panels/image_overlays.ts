// An image's boxes and masks (ImageFile.boxes / .masks, nbrun/protocol/media.py) drawn over it,
// with a toggle per group and per class. Boxes are positioned elements in percent of the image;
// a mask is its class-id PNG recoloured into a canvas laid over the image.

import type { Box, BoxGroup, ImageFile, MaskFile } from "../../media";
import { CLASS_COLOURS, MASK_ALPHA } from "../../media";
import { h } from "../dom";
import "./image_overlays.css";

export interface BoxRect {
  group: string;
  classId: number;
  label: string; // the box's caption, else its class name, else "class N"
  left: number; // percent of the image
  top: number;
  width: number;
  height: number;
}

export function classColour(classId: number): string {
  const n = CLASS_COLOURS.length;
  return CLASS_COLOURS[((Math.trunc(classId) % n) + n) % n] ?? "#1f77b4";
}

/** Where each box goes, in percent of the image; boxes in pixels of an image of unknown size
 * cannot be placed and are left out. */
export function boxRects(image: Pick<ImageFile, "boxes" | "width" | "height">): BoxRect[] {
  const rects: BoxRect[] = [];
  for (const [group, boxes] of Object.entries(image.boxes ?? {})) {
    for (const box of boxes.box_data) {
      const rect = boxRect(group, boxes, box, image.width, image.height);
      if (rect) {
        rects.push(rect);
      }
    }
  }
  return rects;
}

function boxRect(
  group: string,
  boxes: BoxGroup,
  box: Box,
  width: number | null,
  height: number | null,
): BoxRect | null {
  let sx = 100;
  let sy = 100;
  if (box.domain === "pixel") {
    if (!width || !height) {
      return null;
    }
    sx = 100 / width;
    sy = 100 / height;
  }
  const { minX, minY, maxX, maxY } = box.position;
  const label = box.box_caption ?? boxes.class_labels[String(box.class_id)] ?? `class ${box.class_id}`;
  return {
    group,
    classId: box.class_id,
    label,
    left: minX * sx,
    top: minY * sy,
    width: (maxX - minX) * sx,
    height: (maxY - minY) * sy,
  };
}

/** The image with its overlays and their toggles; `url` turns a run file's path into its URL. */
export function overlaidImage(image: ImageFile, url: (path: string) => string, alt: string): HTMLElement {
  const stage = h("div", { class: "rich-overlay-stage" });
  stage.append(h("img", { src: url(image.path), alt, loading: "lazy" }));
  const hidden = { groups: new Set<string>(), classes: new Set<number>() };
  const layers: { group: string; classId: number | null; element: HTMLElement }[] = [];
  const masks: { group: string; canvas: HTMLCanvasElement; mask: MaskFile }[] = [];
  const classNames = new Map<number, string>();

  for (const [group, mask] of Object.entries(image.masks ?? {})) {
    const canvas = h("canvas", { class: "rich-overlay-mask", "data-group": group });
    stage.append(canvas);
    masks.push({ group, canvas, mask });
    layers.push({ group, classId: null, element: canvas });
    for (const [id, name] of Object.entries(mask.class_labels)) {
      classNames.set(Number(id), name);
    }
  }
  for (const [, boxes] of Object.entries(image.boxes ?? {})) {
    for (const [id, name] of Object.entries(boxes.class_labels)) {
      classNames.set(Number(id), name);
    }
  }
  for (const rect of boxRects(image)) {
    const colour = classColour(rect.classId);
    const element = h(
      "div",
      {
        class: "rich-overlay-box",
        "data-group": rect.group,
        "data-class": rect.classId,
        style:
          `left:${rect.left}%;top:${rect.top}%;width:${rect.width}%;height:${rect.height}%;` + `border-color:${colour}`,
      },
      h("span", { class: "rich-overlay-label", style: `background:${colour}` }, rect.label),
    );
    stage.append(element);
    layers.push({ group: rect.group, classId: rect.classId, element });
    if (!classNames.has(rect.classId)) {
      classNames.set(rect.classId, `class ${rect.classId}`);
    }
  }

  const redrawMasks = (): void => {
    for (const { group, canvas, mask } of masks) {
      if (!hidden.groups.has(group)) {
        void paintMask(canvas, url(mask.path), mask, hidden.classes);
      }
    }
  };
  const apply = (): void => {
    for (const layer of layers) {
      const off = hidden.groups.has(layer.group) || (layer.classId !== null && hidden.classes.has(layer.classId));
      layer.element.style.display = off ? "none" : "";
    }
    redrawMasks();
  };
  const toggle = (label: string, colour: string | null, onChange: (shown: boolean) => void): HTMLElement => {
    const box = h("input", { type: "checkbox", checked: true });
    box.addEventListener("change", () => {
      onChange(box.checked);
      apply();
    });
    return h(
      "label",
      { class: "rich-overlay-toggle" },
      box,
      colour ? h("span", { class: "rich-overlay-swatch", style: `background:${colour}` }) : null,
      label,
    );
  };
  const groups = [...Object.keys(image.masks ?? {}), ...Object.keys(image.boxes ?? {})];
  const controls = h("div", { class: "rich-overlay-controls" });
  for (const group of new Set(groups)) {
    controls.append(toggle(group, null, (shown) => setMember(hidden.groups, group, !shown)));
  }
  for (const [id, name] of [...classNames].sort((a, b) => a[0] - b[0])) {
    controls.append(toggle(name, classColour(id), (shown) => setMember(hidden.classes, id, !shown)));
  }
  redrawMasks();
  return h("div", { class: "rich-overlays" }, stage, groups.length ? controls : null);
}

function setMember<T>(set: Set<T>, member: T, present: boolean): void {
  if (present) {
    set.add(member);
  } else {
    set.delete(member);
  }
}

const masksLoaded = new Map<string, Promise<ImageData | null>>();

/** The mask's class ids (its red channel), once per URL. */
function maskPixels(src: string): Promise<ImageData | null> {
  let loaded = masksLoaded.get(src);
  if (!loaded) {
    loaded = new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const context = canvas.getContext("2d");
        if (!context) {
          resolve(null);
          return;
        }
        context.drawImage(img, 0, 0);
        resolve(context.getImageData(0, 0, canvas.width, canvas.height));
      };
      img.onerror = () => resolve(null);
      img.src = src;
    });
    masksLoaded.set(src, loaded);
  }
  return loaded;
}

async function paintMask(
  canvas: HTMLCanvasElement,
  src: string,
  mask: MaskFile,
  hiddenClasses: Set<number>,
): Promise<void> {
  const ids = await maskPixels(src);
  const context = canvas.getContext("2d");
  if (!ids || !context) {
    return;
  }
  canvas.width = ids.width;
  canvas.height = ids.height;
  const out = context.createImageData(ids.width, ids.height);
  const rgb = CLASS_COLOURS.map((colour) => [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)));
  for (let i = 0; i < ids.data.length; i += 4) {
    const id = ids.data[i] ?? 0;
    // Class 0 is the background unless the mask names it.
    if ((id === 0 && !("0" in mask.class_labels)) || hiddenClasses.has(id)) {
      continue;
    }
    const [r, g, b] = rgb[id % rgb.length] ?? [0, 0, 0];
    out.data[i] = r ?? 0;
    out.data[i + 1] = g ?? 0;
    out.data[i + 2] = b ?? 0;
    out.data[i + 3] = Math.round(MASK_ALPHA * 255);
  }
  context.putImageData(out, 0, 0);
}
