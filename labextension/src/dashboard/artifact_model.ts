// Pure helpers of the artifact views: page paths, a manifest's folder tree, which files get a
// preview. No DOM here, so the unit tests (test/artifact_model.test.ts) run them under Node.

import type { ManifestEntry } from "../http_api";
import { enc } from "../http_api";

/** The dashboard path of a version's page. */
export function versionPagePath(entity: string, project: string, name: string, version: string): string {
  return `/${enc(entity)}/${enc(project)}/artifacts/${enc(name)}/${enc(version)}`;
}

/** The dashboard path of a run's page from "entity/project/run_id"; null when malformed. */
export function runPagePath(path: string): string | null {
  const [entity, project, id, ...rest] = path.split("/");
  if (!entity || !project || !id || rest.length) {
    return null;
  }
  return `/${enc(entity)}/${enc(project)}/runs/${enc(id)}`;
}

export interface FileNode {
  name: string;
  path: string;
  entry: ManifestEntry;
}

export interface FolderNode {
  name: string;
  path: string; // "" at the root
  folders: FolderNode[];
  files: FileNode[];
  size: number; // of everything below
}

/** The manifest's entries as folders and files, each level sorted by name. */
export function fileTree(contents: Record<string, ManifestEntry>): FolderNode {
  const root: FolderNode = { name: "", path: "", folders: [], files: [], size: 0 };
  for (const [path, entry] of Object.entries(contents)) {
    const parts = path.split("/");
    let folder = root;
    folder.size += entry.size;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.find((f) => f.name === part);
      if (!next) {
        next = { name: part, path: folder.path ? `${folder.path}/${part}` : part, folders: [], files: [], size: 0 };
        folder.folders.push(next);
      }
      next.size += entry.size;
      folder = next;
    }
    folder.files.push({ name: parts[parts.length - 1] ?? path, path, entry });
  }
  const sort = (folder: FolderNode): void => {
    folder.folders.sort((a, b) => a.name.localeCompare(b.name));
    folder.files.sort((a, b) => a.name.localeCompare(b.name));
    folder.folders.forEach(sort);
  };
  sort(root);
  return root;
}

export type PreviewKind = "image" | "text" | "table";

const IMAGE = /\.(png|jpe?g)$/i;
const TEXT = /\.(txt|md|json|csv|tsv|py|yaml|yml|log)$/i;

/** How a file is previewed (by its name): an image, text, a logged table; null: not at all. */
export function previewKind(path: string): PreviewKind | null {
  if (/\.table\.json$/i.test(path)) {
    return "table";
  }
  if (IMAGE.test(path)) {
    return "image";
  }
  return TEXT.test(path) ? "text" : null;
}

/** The URL path of one entry's bytes below the version's API path. */
export function entryPath(versionApiPath: string, path: string): string {
  return `${versionApiPath}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
}
