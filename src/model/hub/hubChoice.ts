/**
 * Which hub (float) model to use, as the app and the CLI name it. Kept apart
 * from loadHubModel.ts so naming one never loads transformers.js.
 */
export type HubDtype = 'fp32' | 'fp16' | 'q8' | 'q4';
export type HubDevice = 'cpu' | 'wasm' | 'webgpu';

export interface HubChoice {
  /** Folder path (Node), URL of a folder in the transformers.js layout (browser), or a hub id (then `remote` must be set). */
  location: string;
  /** The user agreed to download it from the hub. */
  remote: boolean;
  dtype?: HubDtype;
  device: HubDevice;
}
