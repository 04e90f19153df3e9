from backend_audit.cli import main

main()
