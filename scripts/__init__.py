"""Scripts run from the command line; benchmark helpers (main_pages) that tests import too."""
