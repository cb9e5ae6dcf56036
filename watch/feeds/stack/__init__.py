"""Your stack: dependency manifests read, their projects resolved, release sources added to feeds.yaml."""
