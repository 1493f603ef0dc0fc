from koachify_tui.cli import main

main()
