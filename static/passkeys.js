// Gatehouse passkeys: the WebAuthn calls a page cannot make without script
// (everything else on these pages works without it). No framework, no
// build step. Three places use it, each marked in its page:
//   #passkey-register             the account page: add a passkey
//   [data-passkey-sign-in]        the login page: sign in with a passkey
//   [data-passkey-second-step]    the second step after a password
// Each posts JSON to the server with the page's CSRF token in a header and
// follows the `redirect` it gets back; an `error` is shown in the page.
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBinaryIds(list) {
    return (list || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: fromBase64url(descriptor.id) });
    });
  }

  // The server's options (binary values as base64url) as the browser's API
  // takes them.
  function creationOptions(options) {
    var publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = fromBase64url(publicKey.challenge);
    publicKey.user = Object.assign({}, publicKey.user, { id: fromBase64url(publicKey.user.id) });
    publicKey.excludeCredentials = withBinaryIds(publicKey.excludeCredentials);
    return { publicKey: publicKey };
  }

  function requestOptions(options, mediation, signal) {
    var publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = fromBase64url(publicKey.challenge);
    publicKey.allowCredentials = withBinaryIds(publicKey.allowCredentials);
    var request = { publicKey: publicKey, signal: signal };
    if (mediation) {
      request.mediation = mediation;
    }
    return request;
  }

  function extensions(credential) {
    return credential.getClientExtensionResults ? credential.getClientExtensionResults() : {};
  }

  function attestationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(response.attestationObject),
        clientDataJSON: toBase64url(response.clientDataJSON),
        transports: response.getTransports ? response.getTransports() : []
      },
      extensions: extensions(credential)
    };
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(response.authenticatorData),
        clientDataJSON: toBase64url(response.clientDataJSON),
        signature: toBase64url(response.signature),
        userHandle: toBase64url(response.userHandle)
      },
      extensions: extensions(credential)
    };
  }

  // POSTs `body` as JSON; resolves with the answer, or rejects with an
  // Error carrying the server's message (and `signIn` when the server asks
  // for a fresh sign-in first).
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return null;
      }).then(function (data) {
        if (response.ok && data) {
          return data;
        }
        var error = new Error(data && data.error
          ? data.error
          : "Something went wrong (" + response.status + "). Please try again.");
        error.signIn = data && data.sign_in;
        throw error;
      });
    });
  }

  function message(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      return "The passkey request was cancelled or timed out.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already holds a passkey for your account.";
    }
    return (error && error.message) || "Something went wrong. Please try again.";
  }

  function show(box, text) {
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    }
  }

  function supported() {
    return Boolean(window.PublicKeyCredential && navigator.credentials);
  }

  // The account page: name, then the browser's dialog, then back to the list.
  function setUpRegistration(root) {
    var button = root.querySelector("#passkey-add");
    var name = root.querySelector("#passkey-name");
    var box = root.querySelector("[data-passkey-error]");
    if (!supported()) {
      show(root.querySelector("[data-passkey-unsupported]"), "This browser cannot create passkeys.");
      return;
    }
    var csrf = root.dataset.csrf;
    button.hidden = false;
    button.addEventListener("click", function () {
      show(box, "");
      button.disabled = true;
      var ceremony;
      post(root.dataset.start, csrf, { name: name.value })
        .then(function (started) {
          ceremony = started.ceremony;
          return navigator.credentials.create(creationOptions(started.options));
        })
        .then(function (credential) {
          return post(root.dataset.finish, csrf, {
            ceremony: ceremony,
            name: name.value,
            credential: attestationJSON(credential)
          });
        })
        .then(function (done) {
          window.location.assign(done.redirect);
        })
        .catch(function (error) {
          if (error.signIn) {
            window.location.assign(error.signIn);
            return;
          }
          show(box, message(error));
          button.disabled = false;
        });
    });
  }

  // A sign-in ceremony (passwordless or second step) for a page's target:
  // start, ask the browser, finish, go where the server says.
  function signIn(root, mediation, signal) {
    var csrf = root.dataset.csrf;
    var target = { request: root.dataset.request || "", return_to: root.dataset.returnTo || "" };
    var ceremony;
    return post(root.dataset.start, csrf, target)
      .then(function (started) {
        ceremony = started.ceremony;
        return navigator.credentials.get(requestOptions(started.options, mediation, signal));
      })
      .then(function (credential) {
        var body = Object.assign({ ceremony: ceremony, credential: assertionJSON(credential) }, target);
        return post(root.dataset.finish, csrf, body);
      })
      .then(function (done) {
        window.location.assign(done.redirect);
      });
  }

  function setUpButton(root, onClick) {
    var button = root.querySelector("[data-passkey-button]");
    var box = root.querySelector("[data-passkey-error]");
    if (!supported() || !button) {
      return;
    }
    root.hidden = false;
    button.addEventListener("click", function () {
      show(box, "");
      button.disabled = true;
      onClick().catch(function (error) {
        show(box, message(error));
        button.disabled = false;
      });
    });
  }

  // The login page: a button for a passkey dialog and, where the browser
  // offers it, passkeys among the username field's suggestions.
  function setUpPasswordless(root) {
    var waiting = null;
    setUpButton(root, function () {
      if (waiting) {
        waiting.abort();
        waiting = null;
      }
      return signIn(root, undefined, undefined);
    });
    if (!supported() || !PublicKeyCredential.isConditionalMediationAvailable) {
      return;
    }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) {
        return;
      }
      waiting = new AbortController();
      signIn(root, "conditional", waiting.signal).catch(function (error) {
        // Aborted for the button, or dismissed: the form stays usable.
        if (error && error.name !== "AbortError" && error.name !== "NotAllowedError") {
          show(root.querySelector("[data-passkey-error]"), message(error));
        }
      });
    }).catch(function () {});
  }

  function setUpSecondStep(root) {
    setUpButton(root, function () {
      return signIn(root, undefined, undefined);
    });
  }

  function start() {
    var register = document.getElementById("passkey-register");
    if (register) {
      setUpRegistration(register);
    }
    var passwordless = document.querySelector("[data-passkey-sign-in]");
    if (passwordless) {
      setUpPasswordless(passwordless);
    }
    var second = document.querySelector("[data-passkey-second-step]");
    if (second) {
      setUpSecondStep(second);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
