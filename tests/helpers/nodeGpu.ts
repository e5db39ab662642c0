/**
 * WebGPU in Node for the tests: Dawn (the `webgpu` package) on Chromium's
 * SwiftShader Vulkan driver, the software adapter the browser tests use too
 * (scripts/ensure-chromium.sh installs Chromium and the Vulkan loader). A
 * missing adapter fails the tests that need it.
 */
import { tmpdir } from 'node:os';
import { nodeWebGpu } from '../../src/platform/node/nodeWebGpu.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function nodeGpu(): Promise<GPU> {
  process.env.VK_ICD_FILENAMES ||= SWIFTSHADER_ICD; // read when Dawn first starts Vulkan
  process.env.XDG_RUNTIME_DIR ||= tmpdir(); // (SwiftShader complains on every start without one)
  return nodeWebGpu();
}
