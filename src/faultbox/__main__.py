from faultbox.cli import main

main()
