"""An interactive 2-D latent explorer that needs no kernel and no network.

``latent_explorer`` returns one self-contained HTML block: an inline SVG scatter (one
circle per kept point, coloured by class), a legend whose entries hide or show a class,
and a tooltip with the point's image, text and/or audio clip. The script is plain
JavaScript written after the markup and finds its own container by an id derived from
what the explorer draws (a re-run writes the same HTML), so it runs in a static
jupyter-book page as well as in Jupyter, and several explorers can share a page as long
as they differ in something drawn (points, labels, hovers or title). Thumbnails are
small PNG data URIs (``image_thumbnails``, ``spectrogram_thumbnails``) and clips WAV
data URIs (``audio_clips``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import wave
from collections.abc import Sequence

import numpy as np

from latentlib.validation import check_positive_int, fail

# matplotlib's tab10 then the light half of tab20: fixed, so a class keeps its colour
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
           "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
#: seaborn's "colorblind" palette (10 colours); classes past the tenth get a dark ring as well
COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
              "#ece133", "#56b4e9")
WIDTH, HEIGHT, MARGIN = 560, 420, 10


def _png_uri(pixels: np.ndarray) -> str:
    from PIL import Image  # pillow comes with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_thumbnails(x: np.ndarray) -> list[str]:
    """PNG data URIs of grey images ``(n, 1, H, W)`` or ``(n, H, W)`` with values in [0, 1]."""
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3:
        fail("x", f"array of shape {x.shape}", "an array of shape (n, 1, H, W) or (n, H, W)")
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        fail("x", f"values in [{x.min()}, {x.max()}]", "finite values in [0, 1] (divide 8-bit pixels by 255)")
    return [_png_uri(np.round(image * 255).astype(np.uint8)) for image in x]


def spectrogram_thumbnails(s: np.ndarray, cmap: str = "magma") -> list[str]:
    """PNG data URIs of spectrograms ``(n, frequencies, frames)`` (e.g. log-mel), each
    scaled to its own range, low frequencies at the bottom."""
    import matplotlib

    s = np.asarray(s, dtype=float)
    if s.ndim != 3:
        fail("s", f"array of shape {s.shape}", "an array of shape (n, frequencies, frames)")
    colour = matplotlib.colormaps[cmap]
    uris = []
    for spec in s[:, ::-1]:
        low, high = np.nanmin(spec), np.nanmax(spec)
        scaled = (spec - low) / (high - low) if high > low else np.zeros_like(spec)
        uris.append(_png_uri((colour(scaled)[..., :3] * 255).astype(np.uint8)))
    return uris


def audio_clips(waveforms: Sequence[np.ndarray], sample_rate: int) -> list[str]:
    """WAV data URIs (16-bit mono) of waveforms in [-1, 1]; keep clips short, each adds
    2 bytes a sample (1 s at 8 kHz is ~21 kB of HTML)."""
    uris = []
    for index, samples in enumerate(waveforms):
        samples = np.asarray(samples, dtype=float)
        if samples.ndim != 1:
            fail(f"waveforms[{index}]", f"array of shape {samples.shape}", "a 1-D array of samples")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(int(sample_rate))
            out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        uris.append("data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return uris


def stratified_subsample(labels: np.ndarray, max_points: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most ``max_points`` points, each class kept in proportion and
    never dropped (at least one point of every class present)."""
    labels = np.asarray(labels)
    if len(labels) <= max_points:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    if max_points < len(classes):
        fail("max_points", max_points, f"at least the number of classes present ({len(classes)})")
    share = counts * max_points / len(labels)
    quota = np.minimum(counts, np.maximum(1, np.floor(share).astype(int)))
    # hand the rounding remainder to the largest fractional parts, take back from the largest
    for index in np.argsort(-(share - np.floor(share))):
        if quota.sum() >= max_points:
            break
        if quota[index] < counts[index]:
            quota[index] += 1
    while quota.sum() > max_points:
        quota[np.argmax(quota)] -= 1
    kept = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(kept))


def _check_per_point(name: str, values: Sequence[str] | None, n: int, prefix: str | None = None) -> None:
    if values is None:
        return
    if isinstance(values, str) or len(values) != n:
        got = "a str" if isinstance(values, str) else f"{len(values)} items"
        fail(name, got, f"a list of one entry per point ({n}), in the order of points")
    if prefix is not None:
        bad = next((v for v in values if not (isinstance(v, str) and v.startswith(prefix))), None)
        if bad is not None:
            fail(name, str(bad)[:40], f"data URIs starting with {prefix!r} (see image_thumbnails / audio_clips)")


def _check(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], hover_images, hover_texts,
           hover_audio, max_points: int) -> None:
    if points.ndim != 2 or points.shape[1] != 2:
        fail("points", f"array of shape {points.shape}", "an array of shape (n, 2) (project_2d gives one)")
    if not np.isfinite(points).all():
        fail("points", "non-finite values", "finite coordinates (drop or impute NaN / inf rows)")
    n = len(points)
    if labels.shape != (n,):
        fail("labels", f"array of shape {labels.shape}", f"one integer label per point, shape ({n},)")
    if not np.issubdtype(labels.dtype, np.integer):
        fail("labels", f"dtype {labels.dtype}", "integer class indices into class_names")
    if len(class_names) == 0:
        fail("class_names", list(class_names), "one name per class, in label order")
    unknown = sorted(set(np.unique(labels).tolist()) - set(range(len(class_names))))
    if unknown:
        fail("labels", f"unknown labels {unknown[:5]}",
             f"integers in 0..{len(class_names) - 1} (one class_names entry per label)")
    if not isinstance(max_points, int) or max_points < 1:
        fail("max_points", max_points, "a positive int")
    _check_per_point("hover_images", hover_images, n, "data:image/")
    _check_per_point("hover_texts", hover_texts, n)
    _check_per_point("hover_audio", hover_audio, n, "data:audio/")


def _pixels(points: np.ndarray) -> np.ndarray:
    """Points scaled into the SVG box, equal aspect, y pointing up."""
    low, high = points.min(0), points.max(0)
    span = float(max((high - low).max(), 1e-12))
    scale = min(WIDTH, HEIGHT) - 2 * MARGIN
    xy = (points - low) / span * scale
    xy[:, 0] += MARGIN + (WIDTH - 2 * MARGIN - (high[0] - low[0]) / span * scale) / 2
    xy[:, 1] = HEIGHT - MARGIN - xy[:, 1] - (HEIGHT - 2 * MARGIN - (high[1] - low[1]) / span * scale) / 2
    return np.round(xy, 1)


STYLE = """<style>
#{u}{{position:relative;font:12px sans-serif;max-width:{w}px}}
#{u} svg{{width:100%;height:auto;border:1px solid #ddd;background:#fff}}
#{u} circle{{fill-opacity:.8;cursor:pointer}}
#{u} circle:hover{{stroke:#000;stroke-width:1px}}
{colours}
{hidden}
#{u} .lx-legend{{display:flex;flex-wrap:wrap;gap:2px 10px;margin:4px 0}}
#{u} .lx-legend span{{cursor:pointer;user-select:none}}
#{u} .lx-legend span.off{{opacity:.35;text-decoration:line-through}}
#{u} .lx-legend i{{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:3px}}
#{u} .lx-tip{{position:absolute;display:none;background:#fff;border:1px solid #999;padding:4px;
  box-shadow:0 1px 4px rgba(0,0,0,.3);pointer-events:auto;z-index:10;max-width:240px;overflow-wrap:anywhere}}
#{u} .lx-tip img{{display:block;width:{iw}px;max-width:100%;image-rendering:pixelated}}
#{u} .lx-tip audio{{display:block;width:220px;height:32px}}
</style>"""

# Hover shows a point's tooltip; a click pins it (so its audio can be played), a click on
# the background unpins. Payloads sit in one JSON array, looked up by the circle's index.
SCRIPT = """<script>(function(){
var root=document.getElementById(%(uid)s);if(!root)return;
var data=%(data)s,tip=root.querySelector(".lx-tip"),svg=root.querySelector("svg"),pinned=false;
function show(c,e){var d=data[+c.getAttribute("data-i")];tip.textContent="";
 var h=document.createElement("b");h.textContent=d.n;tip.appendChild(h);
 if(d.img){var im=document.createElement("img");im.src=d.img;im.alt=d.n;tip.appendChild(im);}
 if(d.t){var p=document.createElement("div");p.textContent=d.t;tip.appendChild(p);}
 if(d.a){var a=document.createElement("audio");a.controls=true;a.preload="none";a.src=d.a;tip.appendChild(a);}
 var r=root.getBoundingClientRect();tip.style.display="block";
 tip.style.left=Math.max(0,Math.min(e.clientX-r.left+12,r.width-tip.offsetWidth))+"px";
 tip.style.top=(e.clientY-r.top+12)+"px";}
svg.addEventListener("mouseover",function(e){if(!pinned&&e.target.tagName==="circle")show(e.target,e);});
svg.addEventListener("mouseout",function(e){if(!pinned&&e.target.tagName==="circle")tip.style.display="none";});
svg.addEventListener("click",function(e){if(e.target.tagName==="circle"){pinned=false;show(e.target,e);pinned=true;}
 else{pinned=false;tip.style.display="none";}});
root.querySelectorAll(".lx-legend span").forEach(function(s){s.addEventListener("click",function(){
 var k="h"+s.getAttribute("data-c");root.classList.toggle(k);s.classList.toggle("off");});});
})();</script>"""


def latent_explorer(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], *,
                    hover_images: Sequence[str] | None = None, hover_texts: Sequence[str] | None = None,
                    hover_audio: Sequence[str] | None = None, title: str = "", max_points: int = 1500,
                    seed: int = 0, palette: Sequence[str] = PALETTE, image_width: int = 84):
    """An interactive scatter of 2-D ``points`` coloured by ``labels`` (indices into
    ``class_names``), as an ``IPython.display.HTML``; its ``.data`` is the HTML string.

    ``hover_images`` / ``hover_audio`` are per-point data URIs (``image_thumbnails``,
    ``spectrogram_thumbnails``, ``audio_clips``), ``hover_texts`` per-point strings. At most
    ``max_points`` points are drawn, a stratified subsample fixed by ``seed``. ``palette``
    gives the class colours (CSS colours, e.g. :data:`COLORBLIND`); with more classes than
    colours the colours repeat, each further round with a darker ring, so no two classes
    look alike. ``image_width`` is the hover image's width in pixels.
    """
    from IPython.display import HTML

    points = np.asarray(points, dtype=float)
    labels = np.asarray(labels)
    _check(points, labels, class_names, hover_images, hover_texts, hover_audio, max_points)
    if isinstance(palette, str) or not len(palette) or not all(isinstance(c, str) and c for c in palette):
        fail("palette", palette, "a list of CSS colours, e.g. explorer.COLORBLIND")
    check_positive_int("image_width", image_width)
    keep = stratified_subsample(labels, max_points, seed)
    xy = _pixels(points[keep]) if len(keep) else np.zeros((0, 2))

    circles = "".join(f'<circle class="c{labels[i]}" r="3" cx="{x:g}" cy="{y:g}" data-i="{j}"/>'
                      for j, (i, (x, y)) in enumerate(zip(keep, xy)))
    payload = []
    for i in keep:
        item = {"n": str(class_names[labels[i]])}
        if hover_images is not None:
            item["img"] = hover_images[i]
        if hover_texts is not None:
            item["t"] = str(hover_texts[i])
        if hover_audio is not None:
            item["a"] = hover_audio[i]
        payload.append(item)
    # "</" would close the script element early; "<\\/" is the same string to JavaScript
    data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")

    counts = np.bincount(labels[keep], minlength=len(class_names))
    colour = lambda k: palette[k % len(palette)]  # noqa: E731
    # past the palette's length a class repeats a colour: a ring (1.5 px per round) tells them apart
    ring = lambda k: 1.5 * (k // len(palette))  # noqa: E731
    swatch = lambda k: f"background:{colour(k)}" + (f";box-shadow:0 0 0 {ring(k):g}px #333" if ring(k) else "")  # noqa: E731
    legend = "".join(f'<span data-c="{k}" title="click: hide / show"><i style="{swatch(k)}"></i>'
                     f"{html.escape(str(name))} ({counts[k]})</span>"
                     for k, name in enumerate(class_names) if counts[k])
    heading = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    shown = f"{len(keep)} of {len(points)} points" if len(keep) < len(points) else f"{len(points)} points"
    # the id from everything drawn, not random: a re-run of the same explorer writes the
    # same HTML (two identical explorers on one page would share it: give them titles)
    content = json.dumps([title, [str(name) for name in class_names], circles, data, legend, shown])
    uid = "lx-" + hashlib.sha256(content.encode()).hexdigest()[:12]
    style = STYLE.format(
        u=uid, w=WIDTH, iw=image_width,
        colours="\n".join(f"#{uid} .c{k}{{fill:{colour(k)}" + (f";stroke:#333;stroke-width:{ring(k):g}px" if ring(k)
                                                                  else "") + "}"
                          for k in range(len(class_names))),
        hidden="\n".join(f"#{uid}.h{k} .c{k}{{display:none}}" for k in range(len(class_names))))
    markup = (f'<div id="{uid}" class="latent-explorer">{style}{heading}'
              f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(title or "latent space")}, '
              f'{shown}">{circles}</svg><div class="lx-legend">{legend}</div>'
              f'<div class="lx-tip"></div><div style="color:#666">{shown}; hover a point, click to pin; '
              f"click a class to hide it</div></div>")
    return HTML(markup + SCRIPT % {"uid": json.dumps(uid), "data": data})
