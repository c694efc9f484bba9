// The kernels running on this Lab's Jupyter server, kept current from the kernel manager's
// runningChanged signal (Lab refreshes that list itself; nbrun adds no polling). Runs whose
// kernel_id is in it are "this Lab's".

import type { ISignal } from "@lumino/signaling";
import { Signal } from "@lumino/signaling";

/** What nbrun needs of Lab's kernel manager (app.serviceManager.kernels), typed structurally. */
export interface KernelList {
  running(): IterableIterator<{ id: string }>;
  readonly runningChanged: ISignal<unknown, { id: string }[]>;
}

export class LabKernels {
  /** The set of running kernel ids changed (not emitted for busy/idle changes). */
  readonly changed = new Signal<this, void>(this);
  private ids: Set<string>;

  constructor(kernels: KernelList) {
    this.ids = new Set([...kernels.running()].map((kernel) => kernel.id));
    kernels.runningChanged.connect((_, models) => {
      const ids = new Set(models.map((kernel) => kernel.id));
      if (ids.size !== this.ids.size || [...ids].some((id) => !this.ids.has(id))) {
        this.ids = ids;
        this.changed.emit();
      }
    });
  }

  has(kernelId: string | null | undefined): boolean {
    return kernelId != null && this.ids.has(kernelId);
  }
}

let shared: LabKernels | null = null;

/** The page's one view of the running kernels. */
export function labKernels(kernels: KernelList): LabKernels {
  shared ??= new LabKernels(kernels);
  return shared;
}
