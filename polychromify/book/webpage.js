// The book's in-browser colorizer. The page decodes the photo and draws a small copy of it; the ONNX graph of
// polychromify/browser.py predicts its ab with onnxruntime-web; mergeLab below does colorize.merge at the
// photo's own size (its L, ab scaled and upsampled bilinearly, sRGB) with the lookup tables of
// polychromify/product/color.py, in float32 arithmetic as there. Nothing leaves the reader's machine.
// One call per widget: polychromifyColorizer(element). polychromifyColourTables and polychromifyMerge are
// the merge on its own, for the tests.
/* global ort */
(function () {
  "use strict";

  const f32 = Math.fround;

  // The tables of color.py, built from color.table_recipe() (the numbers it names; the formulas as there).
  function colourTables(recipe) {
    const r = recipe;
    const y = [new Float32Array(256), new Float32Array(256), new Float32Array(256)];
    for (let i = 0; i < 256; i++) {
      const v = i / 255;
      const linear = v > r.srgb_decode_knee ? Math.pow((v + r.srgb_offset) / (1 + r.srgb_offset), r.srgb_gamma)
        : v / r.srgb_slope;
      for (let c = 0; c < 3; c++) y[c][i] = linear * r.y_from_rgb[c];
    }
    const L = new Float32Array(r.steps + 1);
    const encode = new Uint8Array(r.steps + 1);
    for (let i = 0; i <= r.steps; i++) {
      const t = i / r.steps;
      L[i] = t > r.cie_epsilon ? 116 * Math.cbrt(t) - 16 : r.cie_kappa * t;
      const srgb = 255 * (t > r.srgb_encode_knee ? (1 + r.srgb_offset) * Math.pow(t, 1 / r.srgb_gamma) - r.srgb_offset
        : r.srgb_slope * t);
      encode[i] = Math.min(255, Math.max(0, roundHalfEven(srgb)));
    }
    return { recipe: r, y, L, encode, matrix: Float32Array.from(r.rgb_from_fxyz) };
  }

  function roundHalfEven(x) { // as NumPy's round
    const floor = Math.floor(x);
    const rest = x - floor;
    return rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  }

  // Bilinear resampling taps of colorize._bilinear_taps: pixel centres aligned, edges clamped.
  function taps(nOut, nIn) {
    const low = new Int32Array(nOut);
    const high = new Int32Array(nOut);
    const weight = new Float32Array(nOut);
    for (let i = 0; i < nOut; i++) {
      const centre = Math.min(Math.max((i + 0.5) * (nIn / nOut) - 0.5, 0), nIn - 1);
      low[i] = Math.floor(centre);
      high[i] = Math.min(low[i] + 1, nIn - 1);
      weight[i] = centre - low[i];
    }
    return { low, high, weight };
  }

  // colorize.merge: photo RGBA (width x height), ab (size x size x 2, Lab units) times chroma -> the colorized
  // photo and its L alone (gray), both RGBA with alpha 255.
  function mergeLab(tables, rgba, width, height, ab, size, chroma) {
    const { recipe: r, y: [y0, y1, y2], L: lTable, encode, matrix: m } = tables;
    const steps = r.steps;
    const index = (v) => { // color._table_index
      const clipped = v < 0 ? 0 : v > 1 ? 1 : v;
      return f32(f32(clipped * steps) + 0.5) | 0;
    };
    const knee = r.f_inverse_knee, offset = r.f_offset, slope = r.f_slope_inverse;
    const fInverse = (t) => (t > knee ? f32(f32(t * t) * t) : f32(f32(t - offset) * slope));
    const scale = f32(chroma);
    const a = new Float32Array(size * size);
    const b = new Float32Array(size * size);
    let colour = false;
    for (let i = 0; i < size * size; i++) {
      a[i] = f32(ab[2 * i] * scale);
      b[i] = f32(ab[2 * i + 1] * scale);
      colour = colour || a[i] !== 0 || b[i] !== 0;
    }
    // across: each small row resampled to the photo's width (colorize._Upsampler.wide)
    const across = taps(width, size);
    const wideA = new Float32Array(size * width);
    const wideB = new Float32Array(size * width);
    if (colour) {
      for (let row = 0; row < size; row++) {
        for (let x = 0; x < width; x++) {
          const lo = row * size + across.low[x], hi = row * size + across.high[x], w = across.weight[x];
          const keep = f32(1 - w);
          const o = row * width + x;
          if (lo === hi) { wideA[o] = a[lo]; wideB[o] = b[lo]; continue; }
          wideA[o] = f32(f32(a[lo] * keep) + f32(a[hi] * w));
          wideB[o] = f32(f32(b[lo] * keep) + f32(b[hi] * w));
        }
      }
    }
    const down = taps(height, size);
    const out = new Uint8ClampedArray(width * height * 4);
    const gray = new Uint8ClampedArray(width * height * 4);
    const lMax = r.l_max, fyScale = r.fy_scale, aScale = r.a_scale, bScale = r.b_scale;
    const m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7], m8 = m[8];
    for (let yRow = 0; yRow < height; yRow++) {
      const top = down.low[yRow] * width, bottom = down.high[yRow] * width, w = down.weight[yRow];
      for (let x = 0, p = yRow * width * 4; x < width; x++, p += 4) {
        const L = lTable[index(f32(f32(y0[rgba[p]] + y1[rgba[p + 1]]) + y2[rgba[p + 2]]))];
        const fy = f32(f32((L < 0 ? 0 : L > lMax ? lMax : L) + 16) * fyScale);
        const g = encode[index(fInverse(fy))];
        gray[p] = gray[p + 1] = gray[p + 2] = g;
        gray[p + 3] = out[p + 3] = 255;
        if (!colour) { out[p] = out[p + 1] = out[p + 2] = g; continue; }
        const above = top + x, below = bottom + x;
        const av = f32(wideA[above] + f32(f32(wideA[below] - wideA[above]) * w));
        const bv = f32(wideB[above] + f32(f32(wideB[below] - wideB[above]) * w));
        const fx = fInverse(f32(fy + f32(av * aScale)));
        const fyy = fInverse(fy);
        const fzIn = f32(fy - f32(bv * bScale));
        const fz = fInverse(fzIn > 0 ? fzIn : 0);
        out[p] = encode[index(f32(f32(f32(fx * m0) + f32(fyy * m1)) + f32(fz * m2)))];
        out[p + 1] = encode[index(f32(f32(f32(fx * m3) + f32(fyy * m4)) + f32(fz * m5)))];
        out[p + 2] = encode[index(f32(f32(f32(fx * m6) + f32(fyy * m7)) + f32(fz * m8)))];
      }
    }
    return { rgba: out, gray };
  }

  window.polychromifyColourTables = colourTables;
  window.polychromifyMerge = mergeLab;

  const MAX_PIXELS = 16e6; // larger photos are scaled down to this many pixels first (browser memory)

  function loadScript(url, integrity) {
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
        if (integrity) { // Subresource Integrity: a changed copy on the CDN is refused, not run
          script.integrity = integrity;
          script.crossOrigin = "anonymous";
        }
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
    canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  window.polychromifyColorizer = function (root) {
    const $ = (name) => root.querySelector(`[data-role="${name}"]`);
    const status = $("status");
    const chroma = $("chroma");
    const size = Number(root.dataset.size);
    const tables = colourTables(JSON.parse($("colour").textContent));
    let session = null;
    let photo = null; // {name, rgba: ImageData, small: ImageData, ab: the network's output, once run}

    function say(text, state) {
      status.textContent = text;
      root.dataset.state = state;
    }

    async function ready() {
      if (!session) {
        say("Loading onnxruntime-web and the model…", "loading");
        await loadScript(root.dataset.ort, root.dataset.ortIntegrity);
        ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
        session = await ort.InferenceSession.create(base64Bytes($("model").textContent),
          { executionProviders: ["wasm"] });
      }
      return session;
    }

    async function predict(small) { // the network, once per photo: ab of the small copy
      const out = await session.run({ small: new ort.Tensor("uint8", new Uint8Array(small.data.buffer),
        [1, size, size, 4]) });
      return out.ab.data;
    }

    async function colorize() {
      const current = photo;
      if (!current) return;
      try {
        await ready();
        say(`Colorizing ${current.name}…`, "running");
        const start = performance.now();
        const { width, height } = current.rgba;
        if (!current.ab) {
          current.ab = await predict(current.small);
          root.dataset.networkSeconds = ((performance.now() - start) / 1000).toFixed(3);
        }
        if (current !== photo) return; // another photo was chosen meanwhile: its own run shows it
        const merging = performance.now();
        const out = mergeLab(tables, current.rgba.data, width, height, current.ab, size, Number(chroma.value));
        show($("gray"), out.gray, width, height);
        show($("result"), out.rgba, width, height);
        const seconds = (performance.now() - start) / 1000;
        root.dataset.mergeSeconds = ((performance.now() - merging) / 1000).toFixed(3);
        root.dataset.seconds = seconds.toFixed(3);
        $("save").disabled = false;
        say(`${current.name}: ${width} × ${height} px${current.scaled ? " (scaled down to fit the browser's memory)" : ""}, ` +
          `colorized in ${seconds.toFixed(2)} s on this device.`, "done");
      } catch (error) {
        say(`${current.name}: ${error.message || error}`, "error");
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
