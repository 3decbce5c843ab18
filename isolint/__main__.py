"""`python -m isolint`: the same entry point as the `isolint` console script."""

from isolint.cli import main

if __name__ == "__main__":
    main()
