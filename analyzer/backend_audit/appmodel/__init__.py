"""What backend-audit understands about the application: imports, routes, data flow, facts."""
