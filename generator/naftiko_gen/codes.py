"""Every diagnostic code naftiko-gen reports, with the fix a spec author should try.

Codes are part of the interface (people grep and filter on them, ``--format json`` carries them), so
they live in one table: a test checks that every code the generator can emit is listed here, and
``docs/diagnostics.md`` is written from it.
"""

from __future__ import annotations

from typing import Final

HINTS: Final[dict[str, str]] = {
    # -- reading the file ------------------------------------------------------------------------
    "unreadable": "check the path and the file's permissions",
    "file-too-large": "split the capability, or import shared consumes from other files",
    "not-utf8": "save the file as UTF-8",
    "binary": "this is not a text file: pass the YAML capability spec",
    "empty": "write a capability: start from `naftiko-gen validate` on an example",
    "yaml": "fix the YAML syntax at the position shown (indentation, quotes, colons)",
    "yaml-too-deep": "flatten the document: nesting this deep is not a capability",
    "yaml-key": "use plain strings as mapping keys",
    "duplicate-key": "remove one of the two keys: YAML parsers silently keep only one",
    "yaml-too-large": "expand fewer YAML aliases (refused as a billion-laughs risk) or split the "
    "capability into several files",
    # -- whole-spec refusals ---------------------------------------------------------------------
    "not-naftiko": "add `naftiko: 1.0.0-alpha2` at the top of a capability spec",
    "version-mapping": "write the version as a string: `naftiko: 1.0.0-alpha2`",
    "unsupported-version": "use one of the supported versions listed",
    "not-a-capability": "add a `capability:` mapping with `consumes` and `exposes`",
    "nothing-to-expose": "add a REST operation, an MCP tool or a skill that calls a consumed "
    "operation (files with only `consumes` are meant to be imported by another capability)",
    "schema": "change the value to the shape shown; see docs/diagnostics.md",
    "missing-key": "add the key shown",
    "wrong-type": "write a value of the type shown",
    "bad-value": "use one of the values shown",
    "empty-value": "write a value, or remove the key",
    # -- shape (warnings) ------------------------------------------------------------------------
    "unknown-key": "remove the key or fix its spelling; naftiko-gen ignores it",
    "misspelt-key": "rename the key to the one suggested",
    "bad-pattern": "write the pattern as a regular expression (e.g. `^[0-9]{7}$`)",
    "ignored-keyword": "remove the key: the generated package cannot act on it",
    "official-shape": "accepted by naftiko-gen, but the official alpha2 schema (and the Naftiko "
    "engine) reject it; rewrite it as shown to stay portable",
    # -- binds and variables ---------------------------------------------------------------------
    "bind-location": "point `location` at a JSON or YAML file (file:///path or a path relative "
    "to the working directory), or remove it to read environment variables",
    "undeclared-variable": "declare the variable under `binds` (namespace env) so readers know the "
    "package needs it",
    # -- consumes --------------------------------------------------------------------------------
    "missing-namespace": "give the consumes entry a `namespace`",
    "duplicate-namespace": "rename one namespace, or give both entries the same baseUri and "
    "authentication so they can be merged",
    "merged-namespace": "declare the namespace once and list all its resources under it",
    "bad-base-uri": "write an absolute URL such as https://api.example.com/v1",
    "empty-base-uri": "set the baseUri, or set the <NAMESPACE>_BASE_URI variable when serving",
    "bad-import": "write `import: <namespace>` and `location: ./shared/file.yaml`",
    "import-unreadable": "make the imported file exist at that path (relative to this spec)",
    "import-not-found": "import a namespace the file declares under `consumes`",
    "nested-import": "import the file that declares the namespace itself",
    "openapi-consumes": "declare the operations under a `type: http` consumes entry (namespace, "
    "baseUri, resources with operations); naftiko-gen does not read OpenAPI documents",
    "apikey-key": "add `key: X-Api-Key` (the header or query parameter name) to the apikey block",
    "apikey-placement": "write placement: header, query, cookie, path or body",
    "apikey-path-placeholder": "write `{<key>}` where the key goes, in the baseUri "
    "(`https://api.telegram.org/bot{token}`) or in a consumed path, or use placement: header or "
    "query",
    "apikey-body-in-query": "nothing to fix if the API takes the key in the query string too "
    "(Vonage does); otherwise send a JSON or form body with those operations",
    "unsupported-auth": "use bearer, basic, digest, apikey, oauth1, oauth2 (client credentials), "
    "aws-sig-v4 or certificate, or pass the credential as a header parameter",
    "unsupported-auth-oauth1": "give oauth1 a consumerKey and a signingKey (RSA) or consumerSecret "
    "(HMAC), from binds",
    "unsupported-auth-aws-sig-v4": "give the service (`service:`), or use an *.amazonaws.com "
    "baseUri",
    "unsupported-auth-certificate": "give the client certificate (certificate/keystore) from binds",
    "unsupported-auth-digest": "give digest a username and a password, from binds",
    "unsupported-auth-oauth2": "give a consumed oauth2 tokenEndpoint, clientId and clientSecret "
    "(client credentials grant), or use bearer with a token from a bind",
    "unsupported-template": "use `{{VAR}}` for a bind variable or `{{tools.x}}`/`{{rest.x}}` for "
    "an input",
    "bad-header": "use a header name that is an HTTP token (letters, digits, '-', '_', '.') and a "
    "value without line breaks or other control characters",
    "ignored-adapter-parameter": "adapter-level parameters are sent on every request: use `in: "
    "header`, `query`, `cookie`, `path` or `environment`, or move the parameter to the operation",
    "unnamed-operation": "give the consumed operation a `name` so it can be called",
    "duplicate-operation": "rename one of the operations; calls go to the first",
    "unnamed-parameter": "give the parameter a `name`, or remove it",
    "unsupported-parameter-location": "use `in: path`, `query`, `header`, `cookie`, `body`, "
    "`formData` or `environment`",
    "bad-cookie": "name the cookie with an HTTP token: letters, digits and - _ . ! # $ % & ' * "
    "+ ^ ~ only",
    "bad-environment-parameter": "name an environment variable (letters, digits, `_`), or give "
    "the parameter a `value`",
    "unused-path-parameter": "add `{name}` to the resource path, or declare it `in: query`",
    # -- consumed outputRawFormat / outputSchema (cases in tests/unit/test_formats.py) ------------
    "unsupported-output-format": "use json, xml, yaml, csv, tsv, psv, html, markdown, avro or "
    "binary (pass-through)",
    "unsupported-output-format-protobuf": "install naftiko-gen's protobuf extra (`pip install "
    "'naftiko-gen[protobuf]'`: grpcio-tools compiles the .proto at build time)",
    "output-schema-missing": "add `outputSchema: <file>.avsc` (avro) or `<file>.proto` "
    "(protobuf), a path relative to the spec",
    "output-schema-unreadable": "make the schema file exist at that path (relative to the spec "
    "that declares the operation)",
    "output-schema-invalid": "fix the schema: an avro outputSchema is an .avsc JSON document, a "
    "protobuf one a .proto file that protoc compiles and that declares a message, an html one a "
    "CSS selector",
    "output-schema-ignored": "remove outputSchema: only avro, protobuf, html and markdown read it",
    # -- exposes ---------------------------------------------------------------------------------
    "unsupported-adapter": "naftiko-gen generates rest, mcp, skill and control adapters",
    "multiple-mcp": "merge the MCP adapters' tools into one adapter, or split the capability",
    "multiple-rest": "merge the REST adapters into one, or split the capability",
    "bad-method": "use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
    "duplicate-route": "remove or rename the second operation; the first one is kept",
    "unnamed-tool": "give the MCP tool a `name`",
    "duplicate-tool": "rename one of the tools; the first one is kept",
    "tool-name-sanitised": "use only letters, digits, '_', '-' and '.' in tool names",
    "tool-name-too-long": "use a name of at most 64 characters (MCP clients refuse longer ones)",
    "too-many-tools": "split the capability: many MCP clients cap tools at 128",
    "no-behaviour": "add `call: <namespace>.<operation>`, `steps`, `ref: <aggregate>.<function>`, "
    "or output parameters with a `value` (a mock)",
    "bad-jsonpath": "write an RFC 9535 JSONPath such as `$.data.items[0].name` or "
    "`$['odd key']`",
    "bad-template": "use only `{{name}}` or `{{step.field}}` variables (no Mustache sections)",
    "bad-step": "give each step a unique `name` and `type: call` (with `call`) or `type: lookup` "
    "(with `index`, `match`, `lookupValue`)",
    "unknown-step": "name an earlier step as the lookup `index`",
    "bad-mapping": "write `{targetName: a.b, value: $.step.field}`",
    "unsupported-script-language": "write the script in Python (`language: python`), or run it "
    "in a service the capability calls",
    # -- script steps (cases in tests/unit/test_script_steps.py) ---------------------------------
    "script-incomplete": "give the script step `language: python`, `location` (a folder) and "
    "`file`, or set management.scripting.defaultLanguage/defaultLocation on the control adapter",
    "script-language-not-allowed": "add python to management.scripting.allowedLanguages, or "
    "remove the script step",
    "scripting-disabled": "set management.scripting.enabled to true, or remove the script step",
    "script-not-found": "point `location` at the folder that holds the script (relative to the "
    "spec, or file:///path) and name the file in `file`; it is embedded at build time",
    "script-bad-path": "name a file inside `location` (no `..` or absolute paths)",
    "script-unreadable": "save the script as UTF-8 text under 1 MiB",
    "script-syntax": "fix the Python syntax error at the line shown",
    "bad-scripting": "write management.scripting as `{enabled: true, timeout: 3000, "
    "statementLimit: 50000, allowedLanguages: [python]}`",
    "unknown-ref": "write `ref: <aggregateNamespace>.<function>` naming a function under "
    "`capability.aggregates`",
    "duplicate-aggregate-function": "rename one of the aggregate functions",
    "bad-aggregate-function": "give the aggregate function a `name`",
    "broken-aggregate-function": "fix the aggregate function's problems reported above",
    "ref-overrides-ignored": "remove the key: an operation with `ref` does what the aggregate "
    "function defines",
    # -- MCP resources and prompts (cases in tests/unit/test_mcp_extras.py) ----------------------
    "resource-incomplete": "give the MCP resource a `name` and a `uri`",
    "duplicate-resource": "give each MCP resource its own `name` and `uri`; the first is kept",
    "resource-bad-uri": "write each template variable once, as `{name}` (letters, digits, `_`, "
    "`-`)",
    "resource-unbound-parameter": "add `{param}` to the resource uri, or give the parameter a "
    "value in `with`",
    "resource-location-not-found": "point `location` at a folder next to the spec (./docs) or a "
    "file:/// folder; it is read at build time",
    "resource-location-too-large": "point `location` at a smaller folder",
    "resource-location-empty": "put the files to serve in the folder, or remove the resource",
    "resource-file-skipped": "keep the file inside the folder (no links out of it)",
    "prompt-incomplete": "give the prompt (and each of its arguments) a `name`",
    "duplicate-prompt": "rename one of the prompts; the first one is kept",
    "prompt-bad-message": "write `template: [{role: user, content: ...}]` or `location: "
    "./prompt.md`",
    "prompt-location-not-found": "point `location` at a UTF-8 file next to the spec (or "
    "file:///path); it is read at build time",
    # -- REST forward (cases in tests/unit/test_forward.py) --------------------------------------
    "bad-forward": "write `forward: {targetNamespace: <consumes namespace>}`",
    "unsupported-forward-path": "end the path with `/{{path}}` (the part sent upstream), or use "
    "no placeholder at all",
    "forward-header-dropped": "remove the header from `trustedHeaders`: hop-by-hop and proxy "
    "fields are never forwarded",
    "unsupported-body-type": "use a json, text, xml, sparql, formUrlEncoded or multipartForm body "
    "(multipartForm data: an object, or a list of {name, value, filename?, contentType?})",
    "unknown-hint": "use readOnly, destructive, idempotent or openWorld",
    "bad-call": "write `call: <namespace>.<operation>`",
    "unknown-namespace": "call a namespace declared under `consumes`",
    "call-namespace-guessed": "call the consumes namespace that declares the operation",
    "call-operation-case": "write the operation name exactly as declared: names are case-sensitive",
    "unknown-operation": "call an operation declared under that namespace (names are "
    "case-sensitive)",
    "broken-operation": "fix the consumed operation's errors reported above",
    "unknown-with-source": "write `with: {param: rest.x}` (REST) or `tools.x` (MCP)",
    "bad-with-value": "use a reference such as `tools.x` or a plain scalar",
    "unused-with": "remove the `with` key, or name a parameter of the called operation",
    "unbound-parameter": "bind it with `with: {param: tools.param}` or declare it as an input",
    "unknown-path-parameter": "add `{name}` to the path, or declare the input `in: query`",
    # -- inbound authentication on exposes (cases in tests/unit/test_inbound_auth.py) ------------
    "unsupported-inbound-auth": "use bearer, apikey, basic, digest or oauth2 (jwks) on an exposes "
    "adapter, or remove `authentication` and put the port behind an authenticating proxy",
    "inbound-auth-incomplete": "give bearer a `token`, apikey a `key` and `value`, basic and "
    "digest a `username` and `password`, oauth2 an `authorizationServerUri`",
    "inbound-auth-secret": "declare a bind (`keys: {API_TOKEN: API_TOKEN}`) and write the "
    "credential as `{{API_TOKEN}}`: it is then read from the environment at start-up",
    # -- control adapter (cases in tests/unit/test_control.py) -----------------------------------
    "multiple-control": "keep one control adapter",
    "unsupported-control-endpoint": "remove management.reload/validate/logs (declared by the "
    "schema, implemented by no runtime)",
    "unsupported-control-tracing": "remove observability.traces/exporters, or trace at your proxy; "
    "/metrics (Prometheus) is what the control port serves",
    # -- skill adapters (cases in tests/unit/test_skills.py) -------------------------------------
    "multiple-skill": "merge the skill adapters into one",
    "skill-unnamed": "give the skill a `name`",
    "skill-bad-name": "use a kebab-case skill name",
    "skill-duplicate": "rename one of the skills; the first one is kept",
    "skill-tool-unnamed": "give the skill tool a `name`",
    "skill-tool-duplicate": "rename one of the skill tools; the first one is kept",
    "skill-tool-missing-from-or-instruction": "give the tool `from: {sourceNamespace, action}` or "
    "`instruction: <file>`",
    "skill-tool-both-from-and-instruction": "keep either `from` or `instruction`",
    "skill-tool-uses-call": "replace `call` with the `from` value suggested",
    "skill-bad-from": "write `from: {sourceNamespace: <rest or mcp namespace>, action: <name>}`",
    "skill-unknown-source": "name a rest or mcp adapter of this capability as sourceNamespace",
    "skill-unknown-action": "name an operation or tool of that adapter as action",
    "skill-action-not-generated": "fix the problems reported for that operation or tool",
    "skill-instruction-without-location": "give the skill a `location` folder holding the file",
    "skill-instruction-unsafe": "use a path inside the skill's location folder",
    "skill-instruction-not-found": "add the instruction file to the skill's location folder",
    "skill-location-not-found": "create the folder, or fix `location` (file:///path)",
    "skill-location-unsupported": "use a file:/// folder as the skill location",
    "skill-location-too-large": "point `location` at the skill's own folder",
    "skill-file-skipped": "remove the file, or keep it outside the skill folder",
}


def hint_for(code: str) -> str:
    return HINTS.get(code, "")


def markdown_table() -> str:
    """The code table of docs/diagnostics.md (a test keeps the two equal)."""
    rows = ["| code | what to do |", "|---|---|"]
    rows += [f"| `{code}` | {hint.replace('|', '/')} |" for code, hint in HINTS.items()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
