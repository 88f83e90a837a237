// A small REST client for the hub: JSON in and out, one error type, upload progress.

import { currentLanguage, t } from "./i18n.js";

/** A refusal from the hub (its stable `code` and message) or a network failure (`code` "network"). */
export class ApiError extends Error {
  constructor(code, status, message, messageZh, field = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.messageZh = messageZh;
    // The member of the request the refusal is about (`reason`, `lots[0].id`), if one.
    this.field = field;
  }

  /** The message in the page's language. */
  get localMessage() {
    if (currentLanguage() === "zh-CN" && this.messageZh) return this.messageZh;
    return this.message;
  }
}

function errorFromBody(status, body) {
  const error = body && typeof body === "object" ? body.error : null;
  if (error && typeof error.code === "string") {
    const field = typeof error.field === "string" ? error.field : null;
    return new ApiError(error.code, status, String(error.message ?? error.code), error.message_zh, field);
  }
  return new ApiError("http_" + status, status, `HTTP ${status}`, `HTTP ${status}`);
}

function networkError(cause) {
  const error = new ApiError("network", 0, t("error.network"), t("error.network"));
  error.cause = cause;
  return error;
}

/**
 * A client bound to a bearer token (or none for public calls). The token is
 * kept in memory only: a closed tab signs the user out.
 */
export class Api {
  constructor({ token = null, base = "" } = {}) {
    this.token = token;
    this.base = base;
  }

  headers(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  async request(method, path, { json, body, headers = {}, raw = false, signal } = {}) {
    const init = { method, headers: this.headers(headers), signal, cache: "no-store" };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (body !== undefined) {
      init.body = body;
    }
    let response;
    try {
      response = await fetch(this.base + path, init);
    } catch (cause) {
      if (cause?.name === "AbortError") throw cause;
      throw networkError(cause);
    }
    if (!response.ok) {
      let parsed = null;
      try {
        parsed = await response.json();
      } catch {
        // A proxy's HTML error page: keep the status only.
      }
      throw errorFromBody(response.status, parsed);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  get(path, options) {
    return this.request("GET", path, options);
  }

  /** Every POST is JSON (the hub refuses others, so a foreign page cannot post): `{}` by default. */
  post(path, json = {}, options = {}) {
    return this.request("POST", path, { ...options, json });
  }

  put(path, json, options = {}) {
    return this.request("PUT", path, { ...options, json });
  }

  delete(path, options) {
    return this.request("DELETE", path, options);
  }

  /**
   * Send a Blob with upload progress (`onProgress(sentBytes, totalBytes)`).
   * XMLHttpRequest, because fetch reports no upload progress; a Blob body is
   * streamed from its backing store, so a large file is not copied into memory.
   */
  upload(method, path, blob, { headers = {}, onProgress, signal } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, this.base + path);
      for (const [name, value] of Object.entries(this.headers(headers))) {
        xhr.setRequestHeader(name, value);
      }
      xhr.responseType = "json";
      if (onProgress) {
        xhr.upload.addEventListener("progress", (event) => {
          onProgress(event.loaded, event.lengthComputable ? event.total : blob.size);
        });
      }
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
        else reject(errorFromBody(xhr.status, xhr.response));
      });
      xhr.addEventListener("error", () => reject(networkError(null)));
      xhr.addEventListener("abort", () => reject(new DOMException("upload aborted", "AbortError")));
      signal?.addEventListener("abort", () => xhr.abort());
      xhr.send(blob);
    });
  }
}

/** A message for any error a page can meet, in the page's language. */
export function describeError(error) {
  if (error instanceof ApiError) return error.localMessage;
  if (error?.name === "AbortError") return t("error.aborted");
  if (error?.name === "InvalidSealedBidError") return t("error.invalid_sealed_bid");
  if (error?.name === "KeyFileError") return t("account.key_file_unreadable");
  // Socket refusals carry the hub's bilingual message.
  if (error?.messageZh && currentLanguage() === "zh-CN") return error.messageZh;
  return error?.message ? String(error.message) : t("error.unknown");
}
