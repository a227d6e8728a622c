// The book's in-browser colorizer: the page decodes the photo and draws a small copy of it; the ONNX graph of
// polychromify/browser.py does the rest (L, the network, upsampling, merging, sRGB) with onnxruntime-web.
// Nothing leaves the reader's machine. One call per widget: polychromifyColorizer(element).
/* global ort */
(function () {
  "use strict";

  const MAX_PIXELS = 16e6; // larger photos are scaled down to this many pixels first (browser memory)

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const existing = document.querySelector(`script[data-polychromify-ort="${url}"]`);
      if (window.ort) return resolve();
      const script = existing || document.createElement("script");
      script.addEventListener("load", () => resolve());
      script.addEventListener("error", () => {
        script.remove(); // so that the next photo tries again
        reject(new Error(`could not load onnxruntime-web from ${url}`));
      });
      if (!existing) {
        script.src = url;
        script.dataset.polychromifyOrt = url;
        document.head.appendChild(script);
      }
    });
  }

  function base64Bytes(text) {
    const binary = atob(text.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function fit(width, height) {
    const scale = Math.min(1, Math.sqrt(MAX_PIXELS / (width * height)));
    return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
  }

  function pixels(source, width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = "high";
    context.drawImage(source, 0, 0, width, height);
    return context.getImageData(0, 0, width, height);
  }

  function show(canvas, rgba, width, height) {
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset,
      rgba.length), width, height), 0, 0);
  }

  window.polychromifyColorizer = function (root) {
    const $ = (name) => root.querySelector(`[data-role="${name}"]`);
    const status = $("status");
    const chroma = $("chroma");
    const size = Number(root.dataset.size);
    let session = null;
    let photo = null; // {name, rgba: ImageData, small: ImageData}

    function say(text, state) {
      status.textContent = text;
      root.dataset.state = state;
    }

    async function ready() {
      if (!session) {
        say("Loading onnxruntime-web and the model…", "loading");
        await loadScript(root.dataset.ort);
        ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
        session = await ort.InferenceSession.create(base64Bytes($("model").textContent),
          { executionProviders: ["wasm"] });
      }
      return session;
    }

    async function run(scale) {
      const { rgba, small } = photo;
      return session.run({
        photo: new ort.Tensor("uint8", new Uint8Array(rgba.data.buffer), [1, rgba.height, rgba.width, 4]),
        small: new ort.Tensor("uint8", new Uint8Array(small.data.buffer), [1, size, size, 4]),
        chroma: new ort.Tensor("float32", new Float32Array([scale]), [1, 1]),
      });
    }

    async function colorize() {
      if (!photo) return;
      try {
        await ready();
        say(`Colorizing ${photo.name}…`, "running");
        const start = performance.now();
        const { width, height } = photo.rgba;
        const out = await run(Number(chroma.value));
        show($("gray"), out.gray.data, width, height);
        show($("result"), out.rgba.data, width, height);
        const seconds = (performance.now() - start) / 1000;
        root.dataset.seconds = seconds.toFixed(3);
        $("save").disabled = false;
        say(`${photo.name}: ${width} × ${height} px${photo.scaled ? " (scaled down to fit the browser's memory)" : ""}, ` +
          `colorized in ${seconds.toFixed(2)} s on this device.`, "done");
      } catch (error) {
        say(`${photo.name}: ${error.message || error}`, "error");
      }
    }

    async function open(blob, name) {
      let bitmap;
      try {
        bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
      } catch (error) {
        photo = null;
        $("save").disabled = true;
        say(`${name}: not an image this browser can read (${error.message || error.name})`, "error");
        return;
      }
      const [width, height] = fit(bitmap.width, bitmap.height);
      photo = {
        name, scaled: width !== bitmap.width,
        rgba: pixels(bitmap, width, height), small: pixels(bitmap, size, size),
      };
      bitmap.close();
      await colorize();
    }

    $("file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      event.target.value = ""; // so that choosing the same file again colorizes it again
      if (file) open(file, file.name);
    });
    root.addEventListener("dragover", (event) => event.preventDefault());
    root.addEventListener("drop", (event) => {
      event.preventDefault();
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) open(file, file.name);
    });
    const example = $("example");
    if (example) {
      example.addEventListener("click", async () => {
        const blob = await (await fetch(example.dataset.src)).blob();
        await open(blob, example.dataset.name);
      });
    }
    let pending = null;
    chroma.addEventListener("input", () => {
      $("chroma-value").textContent = Number(chroma.value).toFixed(2);
      clearTimeout(pending);
      pending = setTimeout(colorize, 150);
    });
    $("save").addEventListener("click", () => {
      $("result").toBlob((blob) => {
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = photo.name.replace(/\.[^.]*$/, "") + "_colorized.png";
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      }, "image/png");
    });
    say("Choose a photo or drop one here (it stays on this device).", "idle");
  };
})();
