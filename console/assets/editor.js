// The console's policy editor: CodeMirror 6 with YAML, live check + lint diagnostics from the
// server (debounced), autocomplete of keys from the policy JSON Schema, and a merge view.
// Bundled by build.sh into ../static/vendor/editor.bundle.js (committed); no CDN.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching } from "@codemirror/language";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, forceLinting } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { MergeView } from "@codemirror/merge";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Diagnostics as the server gives them: line and column are 1-based (as `complaints check` prints).
function toDiagnostics(doc, found) {
  return found.map((d) => {
    const line = doc.line(Math.min(Math.max(d.line || 1, 1), doc.lines));
    const from = Math.min(line.from + Math.max((d.column || 1) - 1, 0), line.to);
    const to = from < line.to ? line.to : from;
    return { from, to, severity: d.severity, message: d.message, source: d.code };
  });
}

function serverLinter(url, onResult) {
  return linter(
    async (view) => {
      const text = view.state.doc.toString();
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ text }),
      });
      if (!response.ok) return [];
      const found = await response.json();
      if (onResult) onResult(found);
      return toDiagnostics(view.state.doc, found.diagnostics);
    },
    { delay: 500 },
  );
}

// The mapping keys above the cursor, by indentation: ["routing", "when"] etc.
function pathAt(doc, pos) {
  const here = doc.lineAt(pos);
  let indent = here.text.search(/\S|$/);
  const path = [];
  for (let n = here.number - 1; n >= 1 && indent > 0; n--) {
    const text = doc.line(n).text;
    const lead = text.search(/\S/);
    if (lead < 0 || lead >= indent) continue;
    const match = /^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:/.exec(text);
    if (match) path.unshift(match[1]);
    indent = lead;
  }
  return path;
}

function resolve(schema, node) {
  let guard = 0;
  while (node && node.$ref && guard++ < 20) {
    const parts = node.$ref.replace(/^#\//, "").split("/");
    node = parts.reduce((acc, part) => (acc ? acc[part] : undefined), schema);
  }
  return node || {};
}

function propertiesAt(schema, path) {
  let node = resolve(schema, schema);
  for (const key of path) {
    node = resolve(schema, node);
    if (node.type === "array" || node.items) node = resolve(schema, node.items);
    const props = node.properties || {};
    if (props[key]) node = resolve(schema, props[key]);
    else if (node.additionalProperties && typeof node.additionalProperties === "object")
      node = resolve(schema, node.additionalProperties);
    else return {};
  }
  node = resolve(schema, node);
  if (node.type === "array" || node.items) node = resolve(schema, node.items);
  return node.properties || {};
}

function schemaCompletion(schemaUrl) {
  let schema = null;
  fetch(schemaUrl, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((s) => {
      schema = s;
    })
    .catch(() => {});
  return (context) => {
    const word = context.matchBefore(/[A-Za-z_][\w-]*/);
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    if (!schema || before.includes(":") || (!word && !context.explicit)) return null;
    const props = propertiesAt(schema, pathAt(context.state.doc, context.pos));
    const options = Object.entries(props).map(([key, spec]) => ({
      label: key,
      type: "property",
      apply: key + ": ",
      info: spec && spec.description ? spec.description : undefined,
    }));
    return options.length ? { from: word ? word.from : context.pos, options } : null;
  };
}

// The findings as a list beside the editor too: each item says line:column and moves the cursor there.
function showList(view, list, found) {
  list.replaceChildren();
  for (const d of found.diagnostics) {
    const item = document.createElement("li");
    item.dataset.line = d.line;
    item.dataset.severity = d.severity;
    const jump = document.createElement("button");
    jump.type = "button";
    jump.className = "link";
    jump.textContent = `${d.line}:${d.column}`;
    jump.addEventListener("click", () => {
      const line = view.state.doc.line(Math.min(Math.max(d.line, 1), view.state.doc.lines));
      view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
      view.focus();
    });
    item.append(jump, ` ${d.severity === "error" ? "✗" : "⚠"} ${d.message} [${d.code}]`);
    list.append(item);
  }
}

function mount(textarea) {
  let view = null;
  const onResult = (found) => {
    const target = document.getElementById(textarea.dataset.summary || "");
    if (target) {
      target.textContent = found.summary;
      target.dataset.valid = found.valid ? "true" : "false";
    }
    const list = document.getElementById(textarea.dataset.list || "");
    if (list && view) showList(view, list, found);
  };
  const extensions = [
    lineNumbers(),
    history(),
    drawSelection(),
    highlightActiveLine(),
    indentOnInput(),
    bracketMatching(),
    syntaxHighlighting(defaultHighlightStyle),
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    yaml(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ "aria-label": textarea.getAttribute("aria-label") || "YAML" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) textarea.value = update.state.doc.toString();
    }),
  ];
  if (textarea.dataset.check) extensions.push(lintGutter(), serverLinter(textarea.dataset.check, onResult));
  if (textarea.dataset.schema) extensions.push(autocompletion({ override: [schemaCompletion(textarea.dataset.schema)] }));
  view = new EditorView({ state: EditorState.create({ doc: textarea.value, extensions }) });
  textarea.style.display = "none";
  textarea.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("editor");
  if (textarea.dataset.check) forceLinting(view);
  return view;
}

function mountMerge(element) {
  const readOnly = [EditorView.editable.of(false), EditorState.readOnly.of(true), lineNumbers(), yaml(),
    syntaxHighlighting(defaultHighlightStyle)];
  const before = document.getElementById(element.dataset.before).textContent;
  const after = document.getElementById(element.dataset.after).textContent;
  return new MergeView({ a: { doc: before, extensions: readOnly }, b: { doc: after, extensions: readOnly }, parent: element });
}

window.consoleEditors = {};
function mountAll(root) {
  root.querySelectorAll("textarea[data-editor=yaml]").forEach((textarea) => {
    if (!textarea.dataset.mounted) {
      textarea.dataset.mounted = "1";
      window.consoleEditors[textarea.name] = mount(textarea);
    }
  });
  root.querySelectorAll("[data-merge]").forEach((element) => {
    if (!element.dataset.mounted) {
      element.dataset.mounted = "1";
      mountMerge(element);
    }
  });
}
document.addEventListener("DOMContentLoaded", () => mountAll(document));
document.addEventListener("htmx:afterSettle", (event) => mountAll(event.target));
