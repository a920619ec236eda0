"""Rule packs (TOML, one per jurisdiction). This file only lets them install with callwatch, as
the package ``callwatch.rulepacks``; the packs themselves are data, read by detect/rules.py."""
