// Node uses the same self-hosted wasm runtime as the browser (see stubs/README.md).
module.exports = require('onnxruntime-web');
