"""Sinks as data, per vulnerability: the calls, methods and arguments a value must not
reach unchecked. Defines no rule; each check under ``checks/injection/`` reads its own
table here and asks the taint evaluator (flow/taint.py) about the arguments it names,
with the sanitisers of its spec (flow/specs.py).
"""

from __future__ import annotations

import re

# ---------------------------------------- Command injection (BA804)
# Always run their argument through a shell.
SHELL_CALLS = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell", "commands.getoutput", "commands.getstatusoutput",
    "platform.popen",
})
# Run through a shell only with ``shell=True``; otherwise their argv runs as it is.
SHELL_OPTIONAL = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen",
})
# Program-and-argv calls: (index of the program, index where argv starts, argv is a list).
EXEC_CALLS = {
    "os.execv": (0, 1, True), "os.execve": (0, 1, True), "os.execvp": (0, 1, True),
    "os.execvpe": (0, 1, True), "os.execl": (0, 1, False), "os.execle": (0, 1, False),
    "os.execlp": (0, 1, False), "os.execlpe": (0, 1, False),
    "os.spawnv": (1, 2, True), "os.spawnve": (1, 2, True), "os.spawnvp": (1, 2, True),
    "os.spawnvpe": (1, 2, True), "os.spawnl": (1, 2, False), "os.spawnle": (1, 2, False),
    "os.spawnlp": (1, 2, False), "os.spawnlpe": (1, 2, False),
    "os.posix_spawn": (0, 1, True), "os.posix_spawnp": (0, 1, True),
    "asyncio.create_subprocess_exec": (0, 0, False), "pty.spawn": (0, 0, True),
}
# Programs that run the argument after their command flag as a command line.
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "csh", "tcsh", "fish", "busybox",
                    "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh", "pwsh.exe"})
WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh",
                            "pwsh.exe"})
COMMAND_FLAGS = frozenset({"-c", "/c", "/C", "/k", "/K", "-Command", "-command"})
# ``sh -ec``, ``bash -lc``: short options bundled with ``c``.
SHORT_FLAGS = re.compile(r"-[a-zA-Z]{0,3}c[a-zA-Z]{0,3}")


# ---------------------------------------- Path traversal (BA805)
# Qualified callables and the parameters (keyword, position) that take a path they read,
# write, serve or remove.
PATH_SINKS: dict[str, tuple[tuple[str, int], ...]] = {
    **{q: (("path_or_file", 0), ("filename_or_fp", 0)) for q in (
        "flask.send_file", "flask.helpers.send_file", "quart.send_file",
        "quart.helpers.send_file", "werkzeug.utils.send_file")},
    **{q: (("path", 0),) for q in (
        "fastapi.responses.FileResponse", "starlette.responses.FileResponse",
        "aiohttp.web.FileResponse", "os.remove", "os.unlink", "os.rmdir", "os.removedirs",
        "shutil.rmtree", "os.open", "aiofiles.os.remove", "aiofiles.os.unlink")},
    **{q: (("file", 0),) for q in ("aiofiles.open", "anyio.open_file", "io.open")},
    "codecs.open": (("filename", 0),),
    # The file name is kept inside the folder; the folder itself is not checked.
    **{q: (("directory", 0),) for q in (
        "flask.send_from_directory", "flask.helpers.send_from_directory",
        "quart.send_from_directory", "quart.helpers.send_from_directory",
        "werkzeug.utils.send_from_directory")},
    **{q: (("src", 0), ("dst", 1)) for q in (
        "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
        "os.rename", "os.replace")},
}
# Methods of a ``pathlib.Path`` that read, write or remove the file it names.
PATH_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes",
                          "unlink", "rmdir", "rename", "symlink_to", "hardlink_to"})
# Calls and ``Path`` methods that tell whether a path exists, what kind of file it is or
# what a folder holds: the client learns about files outside the folder
# (``os.path.exists("../../home/alice/.ssh/id_rsa")``) and lists other folders.
PATH_PROBES: dict[str, tuple[tuple[str, int], ...]] = {q: (("path", 0),) for q in (
    "os.path.exists", "os.path.lexists", "os.path.isfile", "os.path.isdir",
    "os.path.getsize", "os.stat", "os.lstat", "os.listdir", "os.scandir", "os.walk",
    "aiofiles.os.path.exists", "aiofiles.os.path.isfile", "aiofiles.os.stat")}
PATH_PROBE_METHODS = frozenset({"exists", "is_file", "is_dir", "stat", "lstat", "iterdir",
                                "glob", "rglob"})
# Calls whose result is a ``Path`` built from their receiver or arguments.
PATH_BUILDERS = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath",
                           "AsyncPath", "joinpath", "resolve", "absolute", "with_name",
                           "with_suffix", "with_stem", "expanduser"})


# ---------------------------------------- Code injection (BA813)
CODE_BUILTINS = frozenset({"eval", "exec", "compile"})


# ---------------------------------------- Template injection (BA801)
# Qualified callables whose first argument is template source text.
TEMPLATE_SOURCES = frozenset({
    "flask.render_template_string", "flask.templating.render_template_string",
    "jinja2.Template", "jinja2.environment.Template", "django.template.Template",
    "django.template.base.Template", "mako.template.Template",
})


# ---------------------------------------- Deserialisation (BA806)
PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "dill", "cloudpickle", "six.moves.cPickle")
UNSAFE_LOADERS = frozenset({
    *(f"{m}.{f}" for m in PICKLE_MODULES for f in ("loads", "load", "Unpickler")),
    "marshal.loads", "marshal.load", "jsonpickle.decode", "jsonpickle.unpickler.decode",
    "shelve.open", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load",
    "yaml.full_load_all", "pandas.read_pickle", "joblib.load", "torch.load",
})
YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})


# ---------------------------------------- Cross-site scripting (BA802)
# Wrappers that switch autoescaping off for their argument.
MARK_SAFE = frozenset({
    "markupsafe.Markup", "flask.Markup", "jinja2.Markup", "django.utils.safestring.mark_safe",
    "django.utils.safestring.SafeString", "django.utils.safestring.SafeText",
})
# Methods of a safe-marked string that return a plain ``str``: ``Markup(x).unescape()``
# and ``.striptags()`` mark nothing safe (what they return is escaped again on output).
UNMARKING_METHODS = frozenset({"unescape", "striptags"})
# ``format_html(format_string, *args)`` escapes the args but trusts the format string.
FORMAT_HTML = frozenset({"django.utils.html.format_html"})
# Responses whose body is served as text/html unless another type is given.
HTML_RESPONSES = frozenset({
    "django.http.HttpResponse", "django.http.HttpResponseBadRequest",
    "django.http.HttpResponseNotFound", "django.http.HttpResponseForbidden",
    "django.http.HttpResponseServerError",
    "django.http.response.HttpResponse", "fastapi.responses.HTMLResponse",
    "starlette.responses.HTMLResponse", "flask.make_response", "flask.Response",
    "flask.wrappers.Response", "werkzeug.Response", "werkzeug.wrappers.Response",
    "werkzeug.wrappers.response.Response",
})
# Responses that are HTML only when told so (``media_type="text/html"``).
TYPED_RESPONSES = frozenset({
    "starlette.responses.Response", "fastapi.responses.Response", "fastapi.Response",
    "aiohttp.web.Response", "aiohttp.web_response.Response",
})


# ---------------------------------------- Open redirect (BA808)
# Qualified redirect callables -> keyword of their target argument (else the first).
REDIRECTS = {
    "flask.redirect": "location", "flask.helpers.redirect": "location",
    "werkzeug.utils.redirect": "location", "werkzeug.redirect": "location",
    "quart.redirect": "location",
    "django.shortcuts.redirect": "to",
    "django.http.HttpResponseRedirect": "redirect_to",
    "django.http.HttpResponsePermanentRedirect": "redirect_to",
    "django.http.response.HttpResponseRedirect": "redirect_to",
    "django.http.response.HttpResponsePermanentRedirect": "redirect_to",
    "starlette.responses.RedirectResponse": "url", "fastapi.responses.RedirectResponse": "url",
    "fastapi.RedirectResponse": "url",
    **{f"aiohttp.{mod}.{cls}": "location" for mod in ("web", "web_exceptions") for cls in (
        "HTTPFound", "HTTPSeeOther", "HTTPMovedPermanently", "HTTPTemporaryRedirect",
        "HTTPPermanentRedirect", "HTTPMultipleChoices")},
}
# Methods of Django class-based views whose result the view redirects to as it is.
DJANGO_REDIRECT_METHODS = frozenset({"get_success_url", "get_redirect_url"})


# ---------------------------------------- Server-side request forgery (BA809)
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
# Module-level functions: qualified name -> position of the URL argument.
URL_FUNCTIONS: dict[str, int] = {
    **{f"{pkg}.{verb}": 0 for pkg in ("requests", "requests.api", "httpx") for verb in HTTP_VERBS},
    "requests.request": 1, "requests.api.request": 1, "httpx.request": 1, "httpx.stream": 1,
    "urllib.request.urlopen": 0, "urllib.request.urlretrieve": 0, "urllib2.urlopen": 0,
    "urllib3.request": 1, "aiohttp.request": 1,
}
# Calls that make a client object whose methods send requests.
CLIENT_FACTORIES = frozenset({
    "requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client",
    "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.client.ClientSession",
    "urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.poolmanager.PoolManager",
})
# Client methods: name -> position of the URL argument.
CLIENT_METHODS: dict[str, int] = {
    **{verb: 0 for verb in HTTP_VERBS}, "request": 1, "stream": 1, "urlopen": 1,
    "request_encode_url": 1, "build_request": 1, "ws_connect": 0,
}
# Objects that carry a URL to a sender: qualified name -> position of the URL.
URL_WRAPPERS: dict[str, int] = {
    "urllib.request.Request": 0, "urllib2.Request": 0, "requests.Request": 1,
    "httpx.Request": 1, "httpx.URL": 0, "yarl.URL": 0,
}
URLJOIN = frozenset({"urllib.parse.urljoin", "urlparse.urljoin", "requests.compat.urljoin"})


# ---------------------------------------- NoSQL operator injection (BA807)
# Collection methods whose first argument is a query filter (pymongo, motor).
FILTER_METHODS = frozenset({
    "find", "find_one", "find_one_and_update", "find_one_and_delete", "find_one_and_replace",
    "update_one", "update_many", "delete_one", "delete_many", "count_documents", "replace_one",
    "distinct",
})
MONGO_PACKAGES = frozenset({"pymongo", "motor", "flask_pymongo", "mongoengine", "bson",
                            "beanie", "odmantic"})


# ---------------------------------------- LDAP injection (BA811)
# ldap3: Connection.search(search_base, search_filter, ...) and the paged variant.
LDAP3_METHODS = frozenset({"search", "paged_search"})
# python-ldap: LDAPObject.search*(base, scope, filterstr, ...).
PYTHON_LDAP_METHODS = frozenset({"search", "search_s", "search_st", "search_ext",
                                  "search_ext_s"})


# ---------------------------------------- XPath injection (BA812)
XPATH_CLASSES = frozenset({"lxml.etree.XPath", "lxml.etree.ETXPath"})
ELEMENTPATH_METHODS = frozenset({"find", "findall", "findtext", "iterfind"})


# ---------------------------------------- Predictable secrets (BA607)
# Last words of a name that hold a secret on their own (``reset_token``, ``otp``, ``salt``).
SECRET_VALUE_WORDS = frozenset({
    "token", "password", "passwd", "pwd", "passphrase", "passcode", "secret", "nonce", "salt",
    "otp", "totp", "hotp", "pin", "sid", "sessionid", "apikey", "csrf", "xsrf",
})
# ``code``, ``key`` and ``id`` hold a secret after one of these words (``reset_code``,
# ``api_key``, ``session_id``); ``country_code``, ``cache_key`` and ``user_id`` do not.
SECRET_QUALIFIERS = {
    "code": frozenset({"reset", "verification", "verify", "confirm", "confirmation",
                       "activation", "activate", "otp", "auth", "login", "invite",
                       "invitation", "recovery", "security", "sms", "magic", "backup",
                       "access", "mfa", "2fa", "twofa", "pairing", "unlock", "secret", "pin",
                       "one", "email", "phone", "signup", "registration", "redeem"}),
    "key": frozenset({"api", "secret", "private", "signing", "access", "session", "auth",
                      "encryption", "hmac", "activation", "reset", "invite", "confirmation",
                      "verification", "recovery", "license", "master", "app"}),
    "id": frozenset({"session"}),
}
# ``generate_code()`` / ``make_code()``: a function that makes a bare code.
MAKER_VERBS = frozenset({"generate", "gen", "make", "create", "new", "random", "issue"})
