"""What the built site ships, trimmed to what its pages use (a Sphinx extension, named
in ``_config.yml``):

- MathJax only on the pages that have a formula of their own (Sphinx also loads it on a
  page whose table of contents includes one: the book's front page);
- an inline script written twice (Sphinx 7.4 re-adds each extension's inline script) once;
- no source maps (``*.map``, about 3 MB, and the comments that point to them);
- of the theme's Font Awesome (1.49 MB of JavaScript, every icon of the set), only the
  icons the pages name, drawn as inline SVG by a script of a few kilobytes under the
  same name, so the theme's pages load it as before (``book/_static/icons.css`` keeps
  their font glyphs from being drawn meanwhile);
- of its icon fonts, only the WOFF2 files the theme's own CSS icons use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: Font Awesome's class names that style an icon rather than name one
STYLE_CLASSES = {"solid", "regular", "brands", "lg", "xs", "sm", "1x", "2x", "3x", "fw", "spin", "pulse",
                 "border", "inverse", "stack", "stack-1x", "stack-2x", "rotate-90", "rotate-180", "flip"}
#: a class naming the icon set (pack) an icon is drawn from; solid otherwise
PACKS = {"fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far", "fas": "fas", "fa-solid": "fas"}
FONTAWESOME = Path("_static") / "scripts" / "fontawesome.js"
SOURCE_MAP_COMMENT = re.compile(r"\n?(//# sourceMappingURL=\S+|/\*# sourceMappingURL=[^*\s]+\s*\*/)\s*$")


def mathjax_only_where_math(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                            doctree: Any) -> None:
    """Drop MathJax from a page without a formula of its own; drop repeated inline scripts."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    has_math = app.env.get_domain("math").data["has_equations"].get(pagename, False)
    kept, bodies = [], set()
    for script in scripts:
        filename = str(getattr(script, "filename", "") or "")
        body = getattr(script, "attributes", {}).get("body", "")
        if not has_math and ("mathjax" in filename.lower() or body.startswith("window.MathJax")):
            continue
        if not filename and body:
            if body in bodies:
                continue
            bodies.add(body)
        kept.append(script)
    scripts[:] = kept  # the builder's own list for this page: it is restored before the next one


def drop_source_maps(outdir: Path) -> list[Path]:
    """Delete every ``*.map`` of the build and the comments that name them."""
    removed = sorted(outdir.rglob("*.map"))
    for path in removed:
        path.unlink()
    for path in [*outdir.joinpath("_static").rglob("*.js"), *outdir.joinpath("_static").rglob("*.css")]:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        trimmed = SOURCE_MAP_COMMENT.sub("", text)
        if trimmed != text:
            path.write_text(trimmed, encoding="utf-8", errors="surrogateescape")
    return removed


def icons_named(outdir: Path) -> set[tuple[str, str]]:
    """(pack, icon) of every Font Awesome icon a page or a script of the site names."""
    found = set()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in outdir.rglob("*.html")]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in outdir.joinpath("_static").rglob("*.js")
              if p.name != FONTAWESOME.name]
    for text in texts:
        for classes in re.findall(r"""["']([^"'<>{}]*\bfa-[^"'<>{}]*)["']""", text):
            tokens = classes.split()
            pack = next((PACKS[t] for t in tokens if t in PACKS), "fas")
            found |= {(pack, t[3:]) for t in tokens if t.startswith("fa-") and t not in PACKS
                      and t[3:] not in STYLE_CLASSES}
    return found


def icon_definitions(fontawesome: str, wanted: set[tuple[str, str]]) -> dict[str, dict[str, list]]:
    """``{pack: {icon: [width, height, path]}}`` of the ``wanted`` icons, read from the
    theme's ``fontawesome.js`` (its packs follow each other: brands, regular, solid)."""
    ends = {pack: fontawesome.find(f'("{pack}",') for pack in ("fab", "far", "fas")}
    starts = {"fab": 0, "far": ends["fab"], "fas": ends["far"]}
    found: dict[str, dict[str, list]] = {}
    for pack, name in sorted(wanted):
        if ends[pack] < 0:
            continue
        segment = fontawesome[starts[pack]:ends[pack]]
        match = re.search(r'(?:"%s"|(?<![\w-])%s):\[(\d+),(\d+),\[[^\]]*\],"[^"]*",("(?:[^"\\]|\\.)*")\]'
                          % (re.escape(name), re.escape(name)), segment)
        if match:
            found.setdefault(pack, {})[name] = [int(match[1]), int(match[2]), json.loads(match[3])]
    return found


ICON_SCRIPT = """/*! The Font Awesome Free icons this site uses (icons: CC BY 4.0, https://fontawesome.com/license/free),
 * drawn as inline SVG in place of the full Font Awesome script */
(function () {
  var ICONS = %(icons)s, PACKS = %(packs)s, NS = "http://www.w3.org/2000/svg";
  var style = document.createElement("style");
  style.textContent = ".svg-inline--fa{display:inline-block;height:1em;overflow:visible;vertical-align:-.125em}"
    + ".svg-inline--fa.fa-lg{height:1.25em;vertical-align:-.2em}";
  document.head.appendChild(style);
  function draw(el) {
    if (!el.classList || el.namespaceURI === NS) return;
    var pack = "fas", icon = null;
    el.classList.forEach(function (c) { if (PACKS[c]) pack = PACKS[c]; });
    el.classList.forEach(function (c) {
      if (c.indexOf("fa-") === 0 && ICONS[pack] && ICONS[pack][c.slice(3)]) icon = ICONS[pack][c.slice(3)];
    });
    if (!icon) return;
    var svg = document.createElementNS(NS, "svg"), path = document.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 " + icon[0] + " " + icon[1]);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", (el.getAttribute("class") || "") + " svg-inline--fa");
    if (el.getAttribute("style")) svg.setAttribute("style", el.getAttribute("style"));
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", icon[2]);
    svg.appendChild(path);
    el.parentNode.replaceChild(svg, el);
  }
  function drawAll(root) {
    if (root.nodeType !== 1) return;
    if (root.matches("i[class*='fa-'], span[class*='fa-']")) draw(root);
    root.querySelectorAll("i[class*='fa-'], span[class*='fa-']").forEach(draw);
  }
  function start() {
    drawAll(document.body);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(drawAll); });
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
"""


def subset_icons(outdir: Path) -> tuple[int, int] | None:
    """Replace the theme's ``fontawesome.js`` by a script drawing only the icons the site
    names; (bytes before, bytes after), or None when the build has no Font Awesome."""
    path = outdir / FONTAWESOME
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if "ICONS = " in text[:400]:  # already the subset (an incremental build)
        return None
    icons = icon_definitions(text, icons_named(outdir))
    script = ICON_SCRIPT % {"icons": json.dumps(icons, separators=(",", ":")),
                            "packs": json.dumps(PACKS, separators=(",", ":"))}
    path.write_text(script, encoding="utf-8")
    return len(text.encode()), len(script.encode())


#: icon fonts no page draws with: the regular set (no page names a regular icon), and the
#: TrueType copies of the others (every browser that runs the theme takes the WOFF2 first)
UNUSED_FONTS = ("fa-regular-400.woff2", "fa-regular-400.ttf", "fa-solid-900.ttf", "fa-brands-400.ttf")


def drop_unused_fonts(outdir: Path) -> list[Path]:
    """Delete the icon fonts no page uses (a page asking for one would log a 404, which the
    browser test fails on)."""
    folder = outdir / "_static" / "vendor" / "fontawesome" / "webfonts"
    removed = [folder / name for name in UNUSED_FONTS if (folder / name).is_file()]
    for path in removed:
        path.unlink()
    return removed


def trim_site(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    drop_source_maps(outdir)
    subset_icons(outdir)
    drop_unused_fonts(outdir)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", mathjax_only_where_math, priority=900)  # after sphinx.ext.mathjax
    app.connect("build-finished", trim_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
