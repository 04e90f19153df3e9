"""Names the validation checks recognise: validators, models, storage calls, converters.

Data only. Kept apart from the analysis so the lists can grow without touching logic.
"""

from __future__ import annotations

import re

# Payload kinds (see appmodel/requests.py) that carry values a handler stores.
# Files belong to the file-upload rules; headers and cookies are not payloads.
PAYLOAD_KINDS = frozenset({"body", "form", "query", "path"})

# Methods that validate what they are given (marshmallow load, pydantic v1/v2,
# DRF/Django forms, WTForms, jsonschema validators, trafaret, TypeAdapter).
VALIDATOR_METHODS = frozenset({
    "load", "loads", "validate", "is_valid", "model_validate", "model_validate_json",
    "parse_obj", "parse_raw", "validate_python", "validate_json", "validate_on_submit",
    "full_clean", "check", "iter_errors", "get_serializer", "serializer_class",
    "get_serializer_class", "validate_strings", "structure",
})
# Same names on these modules are deserialisers, not validators.
NOT_VALIDATOR_MODULES = ("json", "orjson", "ujson", "simplejson", "yaml", "pickle", "marshal",
                         "toml", "tomllib", "msgpack", "ast")
# A function or decorator whose own name says it validates.
VALIDATOR_NAME = re.compile(
    r"valid|saniti[sz]|(^|_)(check|verify|ensure|require|required|clean|coerce|schema)(_|$)|"
    r"(^|_)safe(_|$)|allowed_host",  # safe_for_redirect, url_has_allowed_host_and_scheme
    re.IGNORECASE)
# Decorator names that say they validate (``require_POST``/``login_required`` do not).
VALIDATOR_DECORATOR_NAME = re.compile(r"valid|saniti[sz]|schema|(^|_)(expects?|parse)_json",
                                      re.IGNORECASE)
# Decorators of validation libraries whose names do not say so.
VALIDATING_DECORATORS = frozenset({
    "use_args", "use_kwargs", "expects_json", "arguments", "input", "accepts", "parse_with",
    "validate_request", "validate_querystring", "body_schema", "request_schema", "doc_input",
})

# Base classes (last component) of schema/validator classes.
VALIDATOR_BASES = frozenset({
    "BaseModel", "RootModel", "Schema", "SQLAlchemySchema", "SQLAlchemyAutoSchema",
    "ModelSchema", "Serializer", "ModelSerializer", "HyperlinkedModelSerializer",
    "ListSerializer", "Form", "ModelForm", "FlaskForm", "Struct", "TypedSchema",
})
# Qualified prefixes that settle the kind whatever the last name is.
VALIDATOR_MODULES = ("pydantic", "marshmallow", "rest_framework.serializers", "django.forms",
                     "flask_wtf", "wtforms", "msgspec", "attrs_strict", "flask_marshmallow")
MODEL_MODULES = ("django.db.models", "mongoengine", "peewee", "tortoise", "beanie", "odmantic",
                 "ormar", "pony", "sqlalchemy.orm", "sqlalchemy.ext.declarative")
# Base classes (last component) of persisted models.
MODEL_BASES = frozenset({
    "Model", "Document", "DynamicDocument", "EmbeddedDocument", "DeclarativeBase", "Entity",
    "Base", "DeclarativeBaseNoMeta", "AsyncAttrs", "TimeStampedModel", "AbstractUser",
    "AbstractBaseUser", "MPTTModel",
})
# Class names that say "schema" when nothing else is known about a class.
VALIDATOR_SUFFIXES = ("Schema", "Serializer", "Form", "In", "Input", "Create", "Update",
                      "Request", "Payload", "Params", "Body", "DTO", "Validator", "Patch",
                      "Command")
# Modules whose classes are persisted models when nothing else is known.
MODEL_MODULE_WORDS = ("models", "model", "entities", "documents", "tables", "orm", "db")
SCHEMA_MODULE_WORDS = ("schemas", "schema", "serializers", "forms", "validators", "dto")

# Calls whose result no longer holds raw client text: type conversion and sanitising.
CONVERTERS = frozenset({
    "int", "float", "bool", "complex", "Decimal", "UUID", "fromisoformat", "strptime",
    "parse_date", "parse_datetime", "parse_time", "ip_address", "ip_network",
    "secure_filename", "escape", "clean", "strip_tags", "slugify", "get_valid_filename",
    "to_decimal", "bleach", "uuid4", "len", "hexdigest", "hash_password",
    "generate_password_hash", "make_password", "hashpw", "hash", "encrypt", "abs", "round",
    "Fraction", "timedelta", "fromtimestamp", "utcfromtimestamp", "urlparse",
    "isoparse", "parse_duration", "validate_email",
})
# Functions that give back their argument as text: still what the client sent.
TEXT_FUNCTIONS = frozenset({"str"})
# Methods of a payload whose result still is (part of) the payload.
FIELD_METHODS = frozenset({"get", "pop", "getlist", "setdefault", "getone", "getall"})
WHOLE_METHODS = frozenset({"copy", "dict", "to_dict", "items", "values", "keys", "lists"})
TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "title", "split",
                          "replace", "capitalize", "casefold", "encode", "decode", "format"})
PASS_FUNCTIONS = frozenset({"dict", "list", "tuple", "set", "sorted", "frozenset",
                            "OrderedDict", "MultiDict", "deepcopy", "copy", "bytes",
                            "bytearray"})
# Calls that decode their argument: what comes out is still what the client sent.
LOADERS = ("json.loads", "orjson.loads", "ujson.loads", "simplejson.loads",
           "tornado.escape.json_decode", "base64.b64decode", "base64.urlsafe_b64decode",
           "base64.standard_b64decode", "base64.decodebytes", "base64.decodestring",
           "binascii.unhexlify", "binascii.a2b_base64", "codecs.decode",
           "urllib.parse.unquote", "urllib.parse.unquote_plus")

# Storage calls: every tainted argument is stored.
STORE_METHODS = frozenset({
    "create", "bulk_create", "update_or_create", "get_or_create", "insert_one", "insert_many",
    "replace_one", "update_one", "update_many", "find_one_and_update", "find_one_and_replace",
    "bulk_insert_mappings", "bulk_update_mappings", "put_item", "insert", "upsert", "hset",
    "hmset", "create_all", "acreate", "aupdate_or_create", "aget_or_create", "bulk_write",
    "set_password", "create_user", "create_superuser",
})
# ``update`` stores only on a query/manager/collection, not on a plain dict.
QUERY_RECEIVER_WORDS = frozenset({"objects", "query", "filter", "filter_by", "where", "all",
                                  "collection", "table", "exclude", "select_for_update",
                                  "_default_manager"})
# SQLAlchemy Core: ``insert(t).values(...)`` / ``update(t).values(...)``.
CORE_STATEMENTS = frozenset({"insert", "update", "values", "on_conflict_do_update",
                             "on_duplicate_key_update"})
# Query calls: a client value selects rows (``filter(email=e)``), orders them
# (``order_by(sort)``) or, whole, picks the columns to filter on (``filter(**request.GET)``).
QUERY_METHODS = frozenset({"filter", "filter_by", "exclude", "get", "find", "find_one",
                           "delete_many", "delete_one", "count_documents", "get_object_or_404",
                           "get_list_or_404", "aggregate", "where", "get_or_404", "order_by",
                           "having", "one_or_404"})
# Calls that persist an object built earlier (``db.session.add(user)``, ``post.save()``).
PERSIST_METHODS = frozenset({"add", "add_all", "save", "merge", "persist", "insert", "put",
                             "commit", "flush", "asave", "create"})
# Lookups inside a guard are not checks of the payload's shape.
LOOKUP_METHODS = frozenset({"filter", "filter_by", "get", "first", "one", "one_or_none",
                            "exists", "count", "scalar", "scalars", "execute", "find_one",
                            "get_or_404", "first_or_404", "fetchone", "all"})
# A service/helper call whose name says it writes what it is given.
SERVICE_VERBS = frozenset({
    "create", "add", "insert", "update", "save", "store", "persist", "upsert", "register",
    "put", "write", "import", "record", "submit", "place", "enqueue", "publish", "apply",
    "patch", "edit", "modify", "set", "bulk", "sync", "ingest", "new", "signup", "book",
    "post", "append", "push",
})
# First word of a helper's name that says it stores or removes the rows it is given.
ROW_WRITE_VERBS = frozenset({"create", "add", "insert", "update", "save", "store", "persist",
                             "upsert", "register", "delete", "remove", "destroy", "drop",
                             "purge", "erase", "del"})
# Statements that end a guard clause with an error.
ERROR_CALLS = frozenset({"abort", "flash", "HttpResponseBadRequest", "HTTPException",
                         "ValidationError", "BadRequest", "HTTPBadRequest",
                         "HTTPUnprocessableEntity", "bad_request", "error_response",
                         "json_error", "fail"})
# Objects whose attributes are not model columns.
NON_MODEL_OBJECTS = frozenset({"self", "cls", "request", "req", "g", "session", "response",
                               "resp", "current_app", "app", "ctx", "context", "os", "settings",
                               "config", "form", "serializer", "args", "kwargs"})
# SQL statement words that write.
WRITE_SQL = re.compile(r"^\s*(insert|update|replace|merge|upsert)\b", re.IGNORECASE)

# Column-expression methods whose arguments end up in the query (SQLAlchemy, Django).
SQL_EXPR_METHODS = frozenset({
    "ilike", "like", "notlike", "notilike", "contains", "startswith", "endswith", "in_",
    "not_in", "notin_", "between", "op", "regexp_match", "match", "is_", "isnot", "any",
    "has", "icontains", "istartswith", "iexact",
})
# Modules whose lowercase functions build query text or clauses from their arguments.
QUERY_BUILDER_MODULES = ("sqlalchemy", "django.db.models", "psycopg2.sql", "psycopg.sql",
                         "pypika")
# Calls that run SQL: any client value among their arguments (text or bound
# parameter) reaches the database.
SQL_RUNNERS = frozenset({
    "execute", "executemany", "exec_driver_sql", "executescript", "read_sql",
    "read_sql_query", "raw", "extra", "fetch", "fetchrow", "fetchval", "fetch_all",
    "fetch_one", "fetch_val", "iterate", "mogrify",
})
# Of those, names common enough outside databases that the first argument must look
# like SQL before the call counts.
SQL_RUNNERS_NEEDING_TEXT = frozenset({"fetch", "iterate", "raw", "fetch_all", "fetch_one",
                                      "fetch_val"})
# Django query expressions: built from values, but not models.
QUERY_EXPRESSIONS = frozenset({
    "Q", "F", "Value", "Count", "Sum", "Avg", "Max", "Min", "Case", "When", "Exists",
    "OuterRef", "Subquery", "Func", "ExpressionWrapper", "Prefetch", "Lower", "Upper",
    "Concat", "Coalesce", "Cast", "Trunc", "TruncDate", "TruncMonth", "ExtractYear",
    "RawSQL", "SearchQuery", "SearchVector",
})
# Django modules whose classes are query expressions (database functions, aggregates,
# lookups, full-text search), never models: ``Greatest(TrigramSimilarity("name", q))``.
QUERY_EXPRESSION_MODULES = ("django.db.models.functions", "django.db.models.expressions",
                            "django.db.models.aggregates", "django.db.models.lookups",
                            "django.db.models.query_utils", "django.contrib.postgres.")
# Module-level factories whose result is the project's model class.
MODEL_FACTORIES = frozenset({"get_user_model", "get_model"})
# First word of a helper's name that says it reads rows (``find_user``, ``query``).
LOOKUP_VERBS = frozenset({"query", "find", "get", "fetch", "load", "lookup", "search",
                          "select", "read", "list", "filter"})

# Calls where raw client input is used in a way no store or query is needed to make it
# harmful: run as code or a command, deserialised or opened as a path. Qualified names
# (builtins by their bare name, when not shadowed). Redirects are no sink at all
# (flow/sinks.REDIRECTS: the open-redirect question).
DANGEROUS_CALLS = frozenset({
    "exec", "eval", "compile", "open", "execfile",
    "os.system", "os.popen", "os.remove", "os.unlink", "io.open",
    "subprocess.run", "subprocess.call", "subprocess.Popen", "subprocess.check_output",
    "subprocess.check_call", "subprocess.getoutput", "subprocess.getstatusoutput",
    "pickle.loads", "pickle.load", "marshal.loads", "shelve.open", "yaml.load",
    "yaml.unsafe_load",
})
DANGEROUS_BUILTINS = frozenset({"exec", "eval", "compile", "open", "execfile"})

# Packages whose classes are neither the project's models nor its schemas.
THIRD_PARTY_OTHER = frozenset({
    "flask", "werkzeug", "fastapi", "starlette", "django", "rest_framework", "aiohttp",
    "datetime", "decimal", "uuid", "pathlib", "collections", "typing", "enum", "sqlalchemy",
    "requests", "httpx", "jinja2", "markupsafe", "json", "re", "io", "logging", "celery",
    "redis", "boto3", "stripe", "dataclasses", "functools", "itertools", "os", "sys",
})

# Writing to a file opened for writing stores what is written (``f.write(x)``,
# ``json.dump(x, f)``): the methods of the file, the serialisers taking it second.
FILE_WRITE_METHODS = frozenset({"write", "writelines"})
FILE_DUMPERS = frozenset({"json.dump", "yaml.dump", "yaml.safe_dump", "pickle.dump",
                          "marshal.dump", "toml.dump", "tomli_w.dump"})
FILE_OPENERS = frozenset({"open", "io.open", "codecs.open"})
