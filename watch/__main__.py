"""`python -m watch` runs the techwatch CLI."""

from .cli.main import main

if __name__ == "__main__":
    main()
