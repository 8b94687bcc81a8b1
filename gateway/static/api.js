// Reads from the gateway's /v1 API for the review pages. With an API key on the
// gateway, the first 401 shows the key form; the key is kept in sessionStorage
// (this tab only) and sent as the X-API-Key header, never in a URL.
"use strict";

const Api = (() => {
  const STORAGE = "emotion-review.api-key";
  let asking = null; // one pending key request shared by every call that got a 401

  function show(id, text) {
    const el = document.getElementById(id);
    el.textContent = text || "";
    el.hidden = !text;
  }

  function askKey(problem) {
    if (asking) {
      if (problem) show("key-error", problem);
      return asking;
    }
    const panel = document.getElementById("key-panel");
    const form = document.getElementById("key-form");
    const input = document.getElementById("key-input");
    show("key-error", problem);
    panel.hidden = false;
    input.value = "";
    input.focus();
    asking = new Promise((resolve) => {
      form.addEventListener("submit", function once(event) {
        event.preventDefault();
        sessionStorage.setItem(STORAGE, input.value);
        form.removeEventListener("submit", once);
        panel.hidden = true;
        asking = null;
        resolve();
      });
    });
    return asking;
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      if (body && body.error) return `${body.error.message} (${response.status} ${body.error.code})`;
    } catch (ignored) { /* not JSON */ }
    return `the gateway answered ${response.status}`;
  }

  // fetch(path) with the key; resolves to the Response once it is not a 401.
  async function get(path) {
    for (;;) {
      const key = sessionStorage.getItem(STORAGE);
      const headers = key === null ? {} : { "X-API-Key": key };
      const response = await fetch(path, { headers, cache: "no-store" });
      if (response.status !== 401) return response;
      let problem = null;
      if (key !== null) {
        sessionStorage.removeItem(STORAGE);
        problem = `Wrong API key: ${await errorText(response)}. Enter the key again.`;
      }
      await askKey(problem);
      show("key-error", null);
    }
  }

  async function json(path) {
    const response = await get(path);
    if (!response.ok) throw new Error(await errorText(response));
    return response.json();
  }

  function message(text) { show("message", text); }

  return { get, json, message, errorText };
})();
