"""``python -m jenkins_docker`` runs the command line."""
from jenkins_docker.cli.main import main

if __name__ == "__main__":
    main()
