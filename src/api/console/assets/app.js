// berth console: a small single-page app over /console/api/. Plain DOM, no
// framework, no inline script (the Content-Security-Policy forbids it), and
// every server-provided string goes in with textContent, never as HTML.
"use strict";

(() => {
  const API = "/console/api/";
  const state = { session: null, region: "", registries: [], registryId: "" };
  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers ----
  // h("a", {href: "#"}, "text", child...) builds an element.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function formatSize(bytes) {
    if (bytes === undefined || bytes === null) return "—";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  }
  function formatTime(ms) {
    if (!ms) return "never";
    const d = new Date(ms);
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  const timeCell = (ms) => h("time", ms ? { datetime: new Date(ms).toISOString() } : {}, formatTime(ms));
  const shortDigest = (d) => d.replace(/^(sha256:|sha512:)/, "$1").slice(0, 19) + "…";

  function notice(text, isError) {
    const el = $("notice");
    el.textContent = text;
    el.classList.toggle("is-error", !!isError);
    el.setAttribute("role", isError ? "alert" : "status");
    el.hidden = !text;
  }

  // ---- API ----
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, params, body) {
    const url = new URL(API + path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrfToken;
    let response;
    try {
      response = await fetch(url, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "NetworkError", "berth did not answer; check that it is running.");
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const message = (data && data.message) || ("Request failed with HTTP " + response.status);
      const error = new ApiError(response.status, data && data.error, message);
      if (response.status === 401 && path !== "session") signedOut("Your session has ended. Sign in again.");
      throw error;
    }
    return data;
  }

  // ---- sign in / out ----
  function showSignIn(message) {
    state.session = null;
    $("account-bar").hidden = true;
    $("view").hidden = true;
    $("view").replaceChildren();
    $("sign-in-view").hidden = false;
    const error = $("sign-in-error");
    error.textContent = message || "";
    error.hidden = !message;
    $("access-key").focus();
  }

  function signedOut(message) {
    showSignIn(message);
  }

  async function startSession(session) {
    state.session = session;
    notice("");
    $("sign-in-view").hidden = true;
    $("account-bar").hidden = false;
    $("who").textContent = session.accessKeyId + " · " + (session.principalArn || "account " + session.accountId);
    state.region = sessionStorage.getItem("berth-region") || session.defaultRegion;
    try {
      const data = await api("GET", "registries");
      state.registries = data.registries;
    } catch (e) {
      state.registries = [{ region: session.defaultRegion, host: "" }];
    }
    if (!state.registries.some((r) => r.region === state.region)) state.region = session.defaultRegion;
    const select = $("region");
    select.replaceChildren(...state.registries.map((r) =>
      h("option", { value: r.region, selected: r.region === state.region }, r.region)));
    $("view").hidden = false;
    route();
  }

  async function onSignIn(event) {
    event.preventDefault();
    const key = $("access-key").value.trim();
    const secret = $("secret-key").value;
    const error = $("sign-in-error");
    if (!key || !secret) {
      error.textContent = "Enter both the access key ID and the secret access key.";
      error.hidden = false;
      return;
    }
    $("sign-in-button").disabled = true;
    try {
      const session = await api("POST", "session", null, { accessKeyId: key, secretAccessKey: secret });
      $("secret-key").value = "";
      error.hidden = true;
      await startSession(session);
    } catch (e) {
      error.textContent = e.status === 401
        ? "Sign-in failed: that access key ID and secret access key do not match a key this registry accepts."
        : e.message;
      error.hidden = false;
      $("secret-key").focus();
    } finally {
      $("sign-in-button").disabled = false;
    }
  }

  async function onSignOut() {
    try { await api("DELETE", "session"); } catch (e) { /* signed out either way */ }
    sessionStorage.removeItem("berth-region");
    // Back to the start without a hashchange (which would render a page).
    history.replaceState(null, "", "#/");
    showSignIn("");
    notice("You have signed out.");
  }

  // ---- routing: #/, #/repo?name=…, #/image?name=…&digest=… ----
  function parseHash() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, query] = hash.split("?");
    return { path, params: new URLSearchParams(query || "") };
  }
  // Another account's registry (#/…?registry=<account>) stays in every link.
  const foreign = () => state.session && state.registryId && state.registryId !== state.session.accountId;
  const link = (path, params) => {
    const all = { ...(foreign() ? { registry: state.registryId } : {}), ...(params || {}) };
    const query = new URLSearchParams(all).toString();
    return "#" + path + (query ? "?" + query : "");
  };
  // The registry every call addresses.
  const where = (params) => ({ region: state.region, registryId: foreign() ? state.registryId : undefined, ...params });

  async function route(moveFocus) {
    if (!state.session) return;
    const { path, params } = parseHash();
    state.registryId = params.get("registry") || state.session.accountId;
    const view = $("view");
    view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      if (path === "/repo" && params.get("name")) await renderRepository(view, params.get("name"), params);
      else if (path === "/image" && params.get("name") && params.get("digest")) {
        await renderImage(view, params.get("name"), params.get("digest"));
      } else await renderRepositories(view, params);
    } catch (e) {
      if (e.status === 401) return;
      // A policy refusal is not a fault: say plainly that this key may not.
      const denied = e.code === "AccessDeniedException";
      view.replaceChildren(h("div", { class: "card", id: denied ? "access-denied" : "view-error" },
        h("h1", {}, denied ? "Not permitted" : "Something went wrong"),
        h("p", { class: "error", role: "alert" }, e.message),
        h("p", {}, h("a", { href: link("/") }, "Back to repositories"))));
    }
    const heading = view.querySelector("h1");
    if (heading) {
      // Screen readers hear the new page's title after a navigation.
      heading.setAttribute("tabindex", "-1");
      if (moveFocus) heading.focus({ preventScroll: true });
    }
  }

  // ---- copyable commands ----
  function command(label, text) {
    const pre = h("pre", {}, h("code", {}, text));
    const button = h("button", { type: "button", class: "secondary small", "aria-label": "Copy: " + label }, "Copy");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch (e) {
        // No clipboard outside secure contexts: select the text instead.
        const range = document.createRange();
        range.selectNodeContents(pre);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
    return h("div", { class: "command", role: "group", "aria-label": label }, pre, button);
  }

  function loginCommands(repo) {
    const region = repo.region;
    const tls = repo.insecure ? " --tls-verify=false" : "";
    const base = `aws ecr get-login-password --region ${region} --endpoint-url ${repo.publicUrl}`;
    return [
      ["podman login", `${base} | podman login --username AWS --password-stdin${tls} ${repo.host}`],
      ["docker login", `${base} | docker login --username AWS --password-stdin ${repo.host}`],
    ];
  }
  function pullCommands(repo, ref) {
    const tls = repo.insecure ? " --tls-verify=false" : "";
    const sep = ref.startsWith("sha256:") || ref.startsWith("sha512:") ? "@" : ":";
    return [
      ["podman pull", `podman pull${tls} ${repo.uri}${sep}${ref}`],
      ["docker pull", `docker pull ${repo.uri}${sep}${ref}`],
    ];
  }

  // ---- repositories ----
  async function renderRepositories(view, params) {
    const q = params.get("q") || "";
    const match = params.get("match") || "substring";
    const after = params.get("after") || "";
    const data = await api("GET", "repositories", where({ q, match, after, limit: 50 }));

    const search = h("input", { id: "repo-search", type: "search", value: q, placeholder: "e.g. team/app",
                                autocomplete: "off", spellcheck: "false" });
    const mode = h("select", { id: "repo-match" },
      h("option", { value: "substring", selected: match === "substring" }, "contains"),
      h("option", { value: "prefix", selected: match === "prefix" }, "starts with"));
    const form = h("form", { class: "toolbar", role: "search", onsubmit: (e) => {
      e.preventDefault();
      location.hash = link("/", { q: search.value.trim(), match: mode.value });
    } },
      h("div", { class: "grow" }, h("label", { for: "repo-search" }, "Search repositories"), search),
      h("div", {}, h("label", { for: "repo-match" }, "Match"), mode),
      h("button", { type: "submit" }, "Search"));

    const children = [h("h1", {}, "Repositories"),
      h("p", { class: "muted", id: "registry-shown" }, `Registry ${state.registryId} in ${state.region}`,
        foreign() ? [" (another account's: only repositories whose policies let you in are listed) · ",
                     h("a", { href: "#/", id: "own-registry" }, "back to your own")] : null),
      form, otherRegistryForm()];
    const repos = data.repositories;
    if (repos.length === 0) {
      children.push(h("div", { class: "card empty", id: "repos-empty" },
        q || after ? [h("strong", {}, "No repositories match."),
                      h("span", {}, data.next ? "None in this stretch of names; try the next page." : "Try another search.")]
          : [h("strong", {}, "No repositories yet."),
             h("span", {}, "Push an image (podman push, skopeo copy) or create one with aws ecr create-repository.")]));
    } else {
      children.push(repositoryTable(repos));
    }
    const pager = h("div", { class: "pager" });
    if (after) pager.append(h("a", { href: link("/", { q, match }), id: "repos-first" }, "← First page"));
    if (data.next) {
      pager.append(h("a", { href: link("/", { q, match, after: data.next }), id: "repos-next" }, "Next page →"));
    }
    children.push(pager);
    view.replaceChildren(...children);
  }

  // Open another account's registry, as the ECR API's registryId does.
  function otherRegistryForm() {
    const input = h("input", { id: "registry-id", inputmode: "numeric", pattern: "[0-9]{12}", maxlength: "12",
                               placeholder: "123456789012", autocomplete: "off", value: foreign() ? state.registryId : "" });
    return h("form", { class: "toolbar", id: "registry-form", onsubmit: (e) => {
      e.preventDefault();
      const id = input.value.trim();
      if (!/^[0-9]{12}$/.test(id)) { notice("A registry ID is the account's 12 digits.", true); return; }
      location.hash = "#/" + (id === state.session.accountId ? "" : "?" + new URLSearchParams({ registry: id }));
    } },
      h("div", { class: "grow" }, h("label", { for: "registry-id" }, "Open another account's registry (ID)"), input),
      h("button", { type: "submit", class: "secondary" }, "Open"));
  }

  function repositoryTable(repos) {
    let sortKey = "name", ascending = true;
    const body = h("tbody", {});
    const headers = {};
    function fill() {
      const rows = [...repos].sort((a, b) => {
        const x = a[sortKey], y = b[sortKey];
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      body.replaceChildren(...rows.map((r) => h("tr", {},
        h("td", { "data-label": "Name" }, h("a", { href: link("/repo", { name: r.name }), class: "repo-link" }, r.name)),
        h("td", { "data-label": "URI", class: "mono" }, r.uri),
        h("td", { "data-label": "Created" }, timeCell(r.createdAt)),
        h("td", { "data-label": "Tags" }, r.tagMutability === "MUTABLE" ? "mutable" : "immutable"))));
      for (const [key, th] of Object.entries(headers)) {
        th.setAttribute("aria-sort", key === sortKey ? (ascending ? "ascending" : "descending") : "none");
      }
    }
    function sortable(key, label) {
      const th = h("th", { scope: "col" }, h("button", { type: "button", onclick: () => {
        ascending = sortKey === key ? !ascending : true;
        sortKey = key;
        fill();
      } }, label));
      headers[key] = th;
      return th;
    }
    const table = h("table", { class: "stack", id: "repos-table" },
      h("caption", { class: "muted" }, "Sorting applies to this page; pages follow name order."),
      h("thead", {}, h("tr", {}, sortable("name", "Name"), h("th", { scope: "col" }, "URI"),
        sortable("createdAt", "Created"), h("th", { scope: "col" }, "Tags"))),
      body);
    fill();
    return h("div", { class: "table-wrap" }, table);
  }

  // ---- one repository ----
  // Images come a page at a time from the store's cursor (?after=), so a
  // repository of thousands costs no more per page than one of ten.
  const IMAGES_PAGE = 100;
  async function renderRepository(view, name, params) {
    const after = params.get("after") || "";
    const limit = Number(params.get("limit")) || IMAGES_PAGE;
    // digest: the store's order (each page newest first); tag: a row per tag.
    const order = params.get("order") === "tag" ? "tag" : "digest";
    const [repo, images] = await Promise.all([
      api("GET", "repository", where({ name })),
      api("GET", "images", where({ name, order, after, limit })),
    ]);
    const pageLink = (extra) => link("/repo", { name, ...(limit !== IMAGES_PAGE ? { limit } : {}),
                                               ...(order !== "digest" ? { order } : {}), ...extra });
    const orderSelect = h("select", { id: "images-order", onchange: (e) =>
      { location.hash = link("/repo", { name, ...(limit !== IMAGES_PAGE ? { limit } : {}),
                                        ...(e.target.value !== "digest" ? { order: e.target.value } : {}) }); } },
      h("option", { value: "digest", selected: order === "digest" }, "newest first, page by page"),
      h("option", { value: "tag", selected: order === "tag" }, "by tag, A to Z"));
    const orderForm = h("div", { class: "toolbar" },
      h("div", {}, h("label", { for: "images-order" }, "Order"), orderSelect));
    const pager = h("nav", { class: "pager", "aria-label": "Image pages" },
      after ? h("a", { href: pageLink({}), id: "images-first" }, "← First page") : null,
      images.next ? h("a", { href: pageLink({ after: images.next }), id: "images-next" }, "Next page →") : null);
    const firstTag = images.images.flatMap((i) => i.tags)[0] || "latest";
    const children = [
      h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: link("/") }, "Repositories"), " / "),
      h("h1", {}, repo.name),
      h("section", { class: "card", "aria-labelledby": "pull-heading" },
        h("h2", { id: "pull-heading" }, "Pull"),
        h("p", { class: "muted" }, "Log in with the AWS CLI, then pull:"),
        ...loginCommands(repo).map(([label, text]) => command(label, text)),
        ...pullCommands(repo, firstTag).map(([label, text]) => command(label, text))),
      h("section", { "aria-labelledby": "images-heading" },
        h("h2", { id: "images-heading" }, "Images"), orderForm, imagesTable(repo, images.images, !!after, order), pager),
      settingsSection(repo),
    ];
    view.replaceChildren(...children);
  }

  function imageKind(image) {
    if (image.subject) {
      const type = image.artifactType || "";
      if (/sbom|spdx|cyclonedx/i.test(type)) return "SBOM";
      if (/signature|cosign|notary/i.test(type)) return "signature";
      return "referrer";
    }
    return image.index ? "index" : "image";
  }

  // The button stays (the server decides each call); it says beforehand.
  const deleteHint = (repo) => repo.permissions && !repo.permissions.deleteImage
    ? "Your policies do not allow ecr:BatchDeleteImage here" : null;

  function imagesTable(repo, images, laterPage, order) {
    if (images.length === 0 && laterPage) {
      return h("div", { class: "card empty", id: "images-empty" }, h("strong", {}, "No more images."),
        h("span", {}, "They were deleted since the previous page; go back to the first page."));
    }
    if (images.length === 0) {
      return h("div", { class: "card empty", id: "images-empty" }, h("strong", {}, "No images in this repository."),
        h("span", {}, "Push one with the commands above (podman push " + repo.uri + ":TAG)."));
    }
    const byTag = order === "tag";
    const ordered = byTag ? images : [...images].sort((a, b) => b.pushedAt - a.pushedAt);
    const rows = ordered.map((image) => h("tr", { dataset: byTag ? { digest: image.digest, tag: image.tag } : { digest: image.digest } },
      h("td", { "data-label": "Tags" }, image.tags.length ? image.tags.map((t) => h("span", { class: "tag" }, t))
        : h("span", { class: "muted" }, "untagged")),
      h("td", { "data-label": "Digest", class: "mono" },
        h("a", { href: link("/image", { name: repo.name, digest: image.digest }), class: "image-link",
                 "aria-label": "Image " + image.digest }, shortDigest(image.digest))),
      h("td", { "data-label": "Kind" }, h("span", { class: "badge" }, imageKind(image)),
        (image.platforms || []).map((p) => h("span", { class: "badge" }, p)),
        image.subject ? h("div", { class: "muted" }, "for ", h("a", { href: link("/image", { name: repo.name, digest: image.subject }) }, shortDigest(image.subject))) : null),
      h("td", { "data-label": "Size" }, formatSize(image.size)),
      h("td", { "data-label": "Pushed" }, timeCell(image.pushedAt)),
      h("td", { "data-label": "Last pulled" }, timeCell(image.lastPulledAt)),
      h("td", { "data-label": "Media type", class: "mono" }, image.artifactType || image.mediaType),
      h("td", { "data-label": "Actions" }, h("button", { type: "button", class: "danger small delete-image",
        "aria-label": "Delete image " + image.digest, title: deleteHint(repo),
        onclick: () => confirmDelete(repo.name, image) }, "Delete"))));
    return h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "images-table" },
      h("caption", { class: "muted" }, byTag ? "One row per tag, A to Z; untagged images are not listed in this order."
        : "Newest first on this page; pages follow digest order."),
      h("thead", {}, h("tr", {}, ...["Tags", "Digest", "Kind", "Size", "Pushed", "Last pulled", "Media type", "Actions"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
  }

  function settingsSection(repo) {
    const filters = repo.tagMutabilityExclusionFilters || [];
    return h("section", { class: "card", "aria-labelledby": "settings-heading", id: "settings" },
      h("h2", { id: "settings-heading" }, "Settings"),
      h("dl", { class: "facts" },
        h("dt", {}, "Tag mutability"), h("dd", {}, h("span", { id: "tag-mutability" }, repo.tagMutability), " ", tagMutabilityForm(repo)),
        filters.length ? [h("dt", {}, "Exceptions"), h("dd", {}, filters.map((f) => f.filter).join(", "))] : null,
        h("dt", {}, "Scan on push"), h("dd", {}, repo.scanOnPush ? "on" : "off"),
        h("dt", {}, "Encryption"), h("dd", {}, repo.encryptionType),
        h("dt", {}, "Created"), h("dd", {}, timeCell(repo.createdAt)),
        h("dt", {}, "URI"), h("dd", { class: "mono" }, repo.uri)),
      lifecycleSection(repo),
      h("h3", {}, "Repository policy"),
      repo.repositoryPolicyDenied
        ? notPermitted("repository-policy", repo.repositoryPolicyDenied)
        : repo.repositoryPolicy
        ? h("pre", { class: "manifest", id: "repository-policy" }, pretty(repo.repositoryPolicy))
        : h("p", { class: "muted", id: "repository-policy" }, "No repository policy: the account's identity policies decide."));
  }

  // The lifecycle policy: shown as stored; edited, previewed and saved in
  // the form under it (ecr:PutLifecyclePolicy; the preview is decided as
  // ecr:StartLifecyclePolicyPreview and ecr:GetLifecyclePolicyPreview).
  const POLICY_EXAMPLE = JSON.stringify({ rules: [{ rulePriority: 1, description: "Expire untagged images after 14 days",
    selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 },
    action: { type: "expire" } }] }, null, 2);

  function lifecyclePolicyShown(repo) {
    if (repo.lifecyclePolicyDenied) return notPermitted("lifecycle-policy", repo.lifecyclePolicyDenied);
    if (!repo.lifecyclePolicy) {
      return h("p", { class: "muted", id: "lifecycle-policy" }, "No lifecycle policy: images stay until deleted.");
    }
    return [h("pre", { class: "manifest", id: "lifecycle-policy" }, pretty(repo.lifecyclePolicy)),
      repo.lifecyclePolicyEvaluatedAt ? h("p", { class: "muted" }, "Last evaluated ", timeCell(repo.lifecyclePolicyEvaluatedAt))
        : h("p", { class: "muted" }, "Not evaluated yet: the lifecycle runner applies it at its next run.")];
  }

  function lifecycleSection(repo) {
    const permissions = repo.permissions || {};
    const shown = h("div", { id: "lifecycle-shown" }, lifecyclePolicyShown(repo));
    const text = h("textarea", { id: "lifecycle-text", rows: "12", spellcheck: "false", class: "mono",
                                 "aria-describedby": "lifecycle-help", placeholder: POLICY_EXAMPLE });
    text.value = repo.lifecyclePolicy ? pretty(repo.lifecyclePolicy) : "";
    const result = h("div", { id: "lifecycle-preview-result", "aria-live": "polite" });
    const withText = (what) => {
      if (!text.value.trim()) { notice("Write a lifecycle policy first (the placeholder shows one).", true); text.focus(); return null; }
      return { lifecyclePolicyText: text.value };
    };
    const failed = (what, err) => {
      if (err.status === 401) return;
      notice((err.code === "AccessDeniedException" ? `Not permitted to ${what}: ` : `Could not ${what}: `) + err.message, true);
    };
    const preview = async () => {
      const body = withText();
      if (!body) return;
      result.replaceChildren(h("p", { class: "muted" }, "Evaluating…"));
      try {
        const data = await api("POST", "repository/lifecycle-policy/preview", where({ name: repo.name }), body);
        result.replaceChildren(...previewResult(repo, data));
        notice("");
      } catch (err) {
        result.replaceChildren();
        failed("preview the lifecycle policy", err);
      }
    };
    const remove = h("button", { type: "button", class: "danger", id: "lifecycle-delete",
      hidden: repo.lifecyclePolicy ? null : "",
      title: permissions.deleteLifecyclePolicy === false
        ? "Your policies do not allow ecr:DeleteLifecyclePolicy here" : null }, "Delete policy");
    const showStored = (policy) => {
      shown.replaceChildren(...[lifecyclePolicyShown({ lifecyclePolicy: policy })].flat());
      remove.hidden = !policy;
    };
    const save = async (e) => {
      e.preventDefault();
      const body = withText();
      if (!body) return;
      try {
        const saved = await api("PUT", "repository/lifecycle-policy", where({ name: repo.name }), body);
        showStored(saved.lifecyclePolicy);
        notice(`Saved the lifecycle policy of ${repo.name}.`);
      } catch (err) {
        failed("save the lifecycle policy", err);
      }
    };
    remove.addEventListener("click", () => confirmThen("Delete lifecycle policy?",
      `Delete the lifecycle policy of ${repo.name}? Its rules stop applying; the images stay.`,
      "Delete policy", async () => {
        try {
          await apiDelete("repository/lifecycle-policy", where({ name: repo.name }));
          showStored(null);
          notice(`Deleted the lifecycle policy of ${repo.name}.`);
        } catch (err) {
          failed("delete the lifecycle policy", err);
        }
      }));
    return [h("h3", {}, "Lifecycle policy"), shown,
      h("form", { id: "lifecycle-form", onsubmit: save },
        h("label", { for: "lifecycle-text" }, "Edit the lifecycle policy (JSON)"),
        h("p", { class: "muted", id: "lifecycle-help" },
          "Rules as aws ecr put-lifecycle-policy takes them. Preview shows what the policy in the box would expire or archive now; it changes nothing."),
        text,
        h("div", { class: "pager" },
          h("button", { type: "button", class: "secondary", id: "lifecycle-preview", onclick: preview,
            title: permissions.startLifecyclePolicyPreview === false
              ? "Your policies do not allow ecr:StartLifecyclePolicyPreview here" : null }, "Preview"),
          h("button", { type: "submit", id: "lifecycle-save",
            title: permissions.putLifecyclePolicy === false
              ? "Your policies do not allow ecr:PutLifecyclePolicy here" : null }, "Save policy"),
          remove)),
      result];
  }

  function previewResult(repo, data) {
    const expiring = data.summary.expiringImageTotalCount || 0;
    const archiving = (data.summary.transitioningImageTotalCounts || []).reduce((n, c) => n + c.imageTotalCount, 0);
    const summary = h("p", { id: "lifecycle-preview-summary", role: "status" },
      `This policy would expire ${expiring} image${expiring === 1 ? "" : "s"}` +
      (archiving ? ` and archive ${archiving}` : "") + " now" +
      (data.shown < data.total ? ` (the oldest ${data.shown} are listed).` : "."));
    if (data.previewResults.length === 0) {
      return [summary, h("div", { class: "card empty", id: "lifecycle-preview-empty" },
        h("strong", {}, "Nothing would be expired."), h("span", {}, "Every image stays under this policy as it stands now."))];
    }
    const rows = data.previewResults.map((r) => h("tr", { dataset: { digest: r.imageDigest } },
      h("td", { "data-label": "Tags" }, (r.imageTags || []).length ? r.imageTags.map((t) => h("span", { class: "tag" }, t))
        : h("span", { class: "muted" }, "untagged")),
      h("td", { "data-label": "Digest", class: "mono" },
        h("a", { href: link("/image", { name: repo.name, digest: r.imageDigest }) }, shortDigest(r.imageDigest))),
      h("td", { "data-label": "Pushed" }, timeCell(r.imagePushedAt * 1000)),
      h("td", { "data-label": "Action" }, r.action.type === "EXPIRE" ? "expire" : "archive"),
      h("td", { "data-label": "Rule" }, String(r.appliedRulePriority))));
    return [summary, h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "lifecycle-preview-table" },
      h("caption", { class: "muted" }, "Images the policy would act on, oldest first"),
      h("thead", {}, h("tr", {}, ...["Tags", "Digest", "Pushed", "Action", "Rule"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)))];
  }

  // Change tag mutability (ecr:PutImageTagMutability; a refusal is shown).
  function tagMutabilityForm(repo) {
    const mayChange = !repo.permissions || repo.permissions.putImageTagMutability;
    const select = h("select", { id: "tag-mutability-select", "aria-label": "New tag mutability" },
      ["MUTABLE", "IMMUTABLE"].map((m) => h("option", { value: m, selected: repo.tagMutability === m }, m)));
    return h("form", { class: "inline", id: "tag-mutability-form", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const saved = await api("PUT", "repository/tag-mutability", where({ name: repo.name }),
                                { imageTagMutability: select.value });
        $("tag-mutability").textContent = saved.tagMutability;
        notice(`Tag mutability of ${repo.name} is now ${saved.tagMutability}.`);
      } catch (err) {
        if (err.status !== 401) {
          notice((err.code === "AccessDeniedException" ? "Not permitted to change tag mutability: "
            : "Could not change tag mutability: ") + err.message, true);
        }
      }
    } }, select, h("button", { type: "submit", class: "secondary small", id: "tag-mutability-save",
        title: mayChange ? null : "Your policies do not allow ecr:PutImageTagMutability here" }, "Save"));
  }

  // A setting this key may not read: the refusal, not an empty value.
  function notPermitted(id, message) {
    return h("p", { class: "error", id, title: message }, "Not permitted: " + message);
  }

  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  // ---- one image ----
  async function renderImage(view, name, digest) {
    const [repo, image] = await Promise.all([
      api("GET", "repository", where({ name })),
      api("GET", "image", where({ name, digest })),
    ]);
    const ref = image.tags[0] || image.digest;
    const layers = image.layers || [];
    const children = [
      h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: link("/") }, "Repositories"), " / ",
        h("a", { href: link("/repo", { name }) }, name), " /"),
      h("h1", { class: "mono" }, image.digest),
      h("section", { class: "card", "aria-labelledby": "facts-heading" },
        h("h2", { id: "facts-heading" }, "Image"),
        h("dl", { class: "facts" },
          h("dt", {}, "Tags"), h("dd", {}, image.tags.length ? image.tags.map((t) => h("span", { class: "tag" }, t)) : "untagged"),
          h("dt", {}, "Kind"), h("dd", {}, imageKind(image)),
          h("dt", {}, "Media type"), h("dd", { class: "mono" }, image.mediaType),
          image.artifactType ? [h("dt", {}, "Artifact type"), h("dd", { class: "mono" }, image.artifactType)] : null,
          h("dt", {}, "Size"), h("dd", {}, formatSize(image.size)),
          h("dt", {}, "Pushed"), h("dd", {}, timeCell(image.pushedAt)),
          h("dt", {}, "Last pulled"), h("dd", {}, timeCell(image.lastPulledAt)),
          image.subject ? [h("dt", {}, "Refers to"), h("dd", { class: "mono" },
            h("a", { href: link("/image", { name, digest: image.subject }) }, image.subject))] : null,
          (image.platforms || []).length ? [h("dt", {}, "Platforms"), h("dd", {}, image.platforms.map((p) => h("span", { class: "badge" }, p)))] : null),
        h("div", { class: "pager" }, h("button", { type: "button", class: "danger delete-image", id: "delete-this-image", title: deleteHint(repo),
          onclick: () => confirmDelete(name, image, true) }, "Delete image"))),
      h("section", { class: "card", "aria-labelledby": "image-pull-heading" },
        h("h2", { id: "image-pull-heading" }, "Pull"),
        ...loginCommands(repo).map(([l, t]) => command(l, t)),
        ...pullCommands(repo, ref).map(([l, t]) => command(l, t)),
        ref !== image.digest ? pullCommands(repo, image.digest).slice(0, 1).map(([l, t]) => command(l + " by digest", t)) : null),
    ];
    if (image.config || layers.length) {
      children.push(h("section", { "aria-labelledby": "layers-heading" }, h("h2", { id: "layers-heading" }, "Layers"),
        descriptorTable("layers-table", [...(image.config ? [{ ...image.config, role: "config" }] : []),
          ...layers.map((l, i) => ({ ...l, role: "layer " + (i + 1) }))], false)));
    }
    if ((image.manifests || []).length) {
      children.push(h("section", { "aria-labelledby": "children-heading" }, h("h2", { id: "children-heading" }, "Manifests in this index"),
        descriptorTable("children-table", image.manifests.map((m) => ({ ...m, role: m.platform || "" })), true, name)));
    }
    children.push(h("section", { "aria-labelledby": "referrers-heading" }, h("h2", { id: "referrers-heading" }, "Referrers"),
      image.referrers.length
        ? descriptorTable("referrers-table", image.referrers.map((r) => ({ ...r, role: r.artifactType || "" })), true, name)
        : h("p", { class: "muted", id: "referrers-empty" }, "No signatures, SBOMs or other artifacts refer to this image.")));
    children.push(h("section", { "aria-labelledby": "manifest-heading" }, h("h2", { id: "manifest-heading" }, "Manifest"),
      h("pre", { class: "manifest", id: "manifest-json", tabindex: "0", "aria-label": "Manifest JSON" }, pretty(image.manifest))));
    view.replaceChildren(...children);
  }

  function descriptorTable(id, rows, linkDigests, repoName) {
    return h("div", { class: "table-wrap" }, h("table", { class: "stack", id },
      h("thead", {}, h("tr", {}, ...["", "Digest", "Size", "Media type"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((d) => h("tr", {},
        h("td", { "data-label": "Role" }, d.role),
        h("td", { "data-label": "Digest", class: "mono" }, linkDigests
          ? h("a", { href: link("/image", { name: repoName, digest: d.digest }) }, d.digest) : d.digest),
        h("td", { "data-label": "Size" }, formatSize(d.size)),
        h("td", { "data-label": "Media type", class: "mono" }, d.mediaType))))));
  }

  // ---- delete ----
  // The confirmation dialog: `action` runs only when the user confirms.
  function confirmThen(title, text, okLabel, action) {
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = okLabel;
    dialog.returnValue = "";
    dialog.onclose = () => {
      dialog.onclose = null;
      if (dialog.returnValue === "ok") action();
    };
    dialog.showModal();
  }

  function confirmDelete(name, image, leaveAfter) {
    const tags = image.tags.length ? " and its tags " + image.tags.join(", ") : "";
    confirmThen("Delete image?",
      `Delete ${image.digest}${tags} from ${name}? Clients can no longer pull it. This cannot be undone.`,
      "Delete", async () => {
      try {
        await apiDelete("image", where({ name, digest: image.digest }));
        if (leaveAfter) {
          state.pendingNotice = `Deleted ${image.digest} from ${name}.`;
          location.hash = link("/repo", { name });
        } else {
          await route();
          notice(`Deleted ${image.digest} from ${name}.`);
        }
      } catch (e) {
        if (e.status !== 401) {
          notice((e.code === "AccessDeniedException" ? "Not permitted to delete the image: " : "Could not delete the image: ") + e.message, true);
        }
      }
    });
  }
  const apiDelete = (path, params) => api("DELETE", path, params);

  // ---- start ----
  document.addEventListener("DOMContentLoaded", async () => {
    $("sign-in-form").addEventListener("submit", onSignIn);
    $("sign-out").addEventListener("click", onSignOut);
    $("region").addEventListener("change", (e) => {
      state.region = e.target.value;
      sessionStorage.setItem("berth-region", state.region);
      location.hash = "#/";
      route();
    });
    window.addEventListener("hashchange", () => {
      if (!state.session) return;
      notice(state.pendingNotice || "");
      state.pendingNotice = "";
      route(true);
    });
    try {
      const session = await api("GET", "session");
      await startSession(session);
    } catch (e) {
      showSignIn(e.status === 401 || e.status === undefined ? "" : e.message);
    }
  });
})();
