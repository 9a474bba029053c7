"""Who may use the pages: sign-in settings per organisation, matched identities, role
grants and page sessions."""
