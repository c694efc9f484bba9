// The renderers of the rich value types nbrun logs today. One function per type.

import "./panels.css";

import type { ImageFile, TableFile } from "../../media";
import { AUDIO, HISTOGRAM, HTML, IMAGE, OBJECT3D, PLOT, PLOTLY, TABLE, VIDEO } from "../../media";
import { plotly } from "../charts/plotly";
import { h } from "../dom";
import { plotPanel, plotlyFigurePanel } from "./chart_panels";
import { overlaidImage } from "./image_overlays";
import { object3dPanel } from "./object3d";
import type { PanelContext, RichValue } from "./registry";
import { fileUrl, onDispose, registerRenderer } from "./registry";
import { TableView, localSource, remoteSource } from "./table_view";

function image(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  const caption = typeof value["caption"] === "string" ? value["caption"] : null;
  const alt = caption ?? panel.key;
  const overlays = value["boxes"] !== undefined || value["masks"] !== undefined;
  return h(
    "figure",
    { class: "rich-image" },
    overlays
      ? overlaidImage(value as unknown as ImageFile, (file) => fileUrl(panel, file), alt)
      : h("img", { src: fileUrl(panel, path), alt, loading: "lazy" }),
    caption ? h("figcaption", {}, caption) : null,
  );
}

/** Audio: the browser's player, fetching the file only when played. */
function audio(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  const caption = typeof value["caption"] === "string" ? value["caption"] : null;
  return h(
    "figure",
    { class: "rich-audio" },
    h("audio", {
      controls: true,
      preload: "none",
      src: fileUrl(panel, path),
      title: caption ?? panel.key,
      style: "display:block;width:100%;max-width:480px",
    }),
    caption ? h("figcaption", {}, caption) : null,
  );
}

/** Video: a GIF as an image (it plays by itself); other formats in the browser's player, which
 * loads only their metadata until played. */
function video(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  const caption = typeof value["caption"] === "string" ? value["caption"] : null;
  const src = fileUrl(panel, path);
  const player =
    value["format"] === "gif"
      ? h("img", { src, alt: caption ?? panel.key, loading: "lazy" })
      : h("video", {
          controls: true,
          preload: "metadata",
          src,
          title: caption ?? panel.key,
          style: "display:block;max-width:100%;height:auto",
        });
  return h("figure", { class: "rich-image rich-video" }, player, caption ? h("figcaption", {}, caption) : null);
}

function histogram(value: RichValue): HTMLElement {
  const bins = (value["bins"] as number[] | undefined) ?? [];
  const counts = (value["values"] as number[] | undefined) ?? [];
  const centres = counts.map((_, i) => ((bins[i] ?? 0) + (bins[i + 1] ?? bins[i] ?? 0)) / 2);
  const plot = h("div", { class: "plot small" });
  onDispose(plot, () => void plotly().then((Plotly) => Plotly.purge(plot)));
  void plotly().then((Plotly) =>
    Plotly.react(
      plot,
      [{ type: "bar", x: centres, y: counts, marker: { color: "#1f77b4" } }],
      {
        margin: { l: 36, r: 8, t: 8, b: 24 },
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)",
        bargap: 0,
      },
      { displaylogo: false, responsive: true },
    ),
  );
  return plot;
}

/** A table: the viewer, its pages from the server (a table file) or from the payload (rows
 * sent inline). */
function dataTable(value: RichValue, panel: PanelContext): HTMLElement {
  if (value._type === "table-file") {
    const file = value as unknown as TableFile;
    const columns = Array.isArray(file.columns) ? file.columns.map(String) : [];
    return new TableView(panel, remoteSource(panel, file), columns).element;
  }
  const columns = ((value["columns"] as unknown[] | undefined) ?? []).map(String);
  const data = ((value["data"] as unknown[] | undefined) ?? []).filter((row): row is unknown[] => Array.isArray(row));
  return new TableView(panel, localSource(columns, data), columns).element;
}

/** HTML media run in a sandboxed frame: no scripts, no access to the dashboard. */
function html(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  return h("iframe", { class: "rich-html", sandbox: "", src: fileUrl(panel, path), title: panel.key });
}

registerRenderer(IMAGE, image);
registerRenderer(HISTOGRAM, histogram);
registerRenderer("table", dataTable); // rows inline (what nbrun logged before table files)
registerRenderer(TABLE, dataTable);
registerRenderer(HTML, html);
registerRenderer(PLOTLY, plotlyFigurePanel);
registerRenderer(PLOT, plotPanel);
registerRenderer(AUDIO, audio);
registerRenderer(VIDEO, video);
registerRenderer(OBJECT3D, object3dPanel);
