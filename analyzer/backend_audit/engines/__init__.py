"""Analysis engines: libcst checks (in-process pool) and semgrep (one subprocess)."""
