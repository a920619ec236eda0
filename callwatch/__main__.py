from callwatch.cli import main

main()
