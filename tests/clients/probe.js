// Added to every page before its own scripts: records what a payload that ran would have done.
(() => {
  const probe = { calls: [], violations: [] };
  Object.defineProperty(window, "__probe", { value: probe });
  for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
    window[name] = (...args) => { probe.calls.push(`${name}(${String(args[0]).slice(0, 60)})`); };
  }
  for (const name of ["log", "info", "warn", "error", "debug", "trace", "dir", "table"]) {
    const original = console[name].bind(console);
    console[name] = (...args) => {
      probe.calls.push(`console.${name}(${String(args[0]).slice(0, 60)})`);
      original(...args);
    };
  }
  document.addEventListener("securitypolicyviolation", (event) => {
    probe.violations.push(`${event.violatedDirective} ${event.blockedURI} ${String(event.sample).slice(0, 60)}`);
  });
  probe.globals = Object.getOwnPropertyNames(window);
})();
