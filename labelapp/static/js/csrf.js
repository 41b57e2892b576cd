// The CSRF token for fetch() calls, read from Django's csrftoken cookie.
"use strict";
window.labelapp = window.labelapp || {};
window.labelapp.csrfToken = function () {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
};
window.labelapp.readConfig = function (id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
};
