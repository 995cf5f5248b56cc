// Kept for tooling that expects an entry file. n8n loads this package through the "n8n" section of package.json, and npm publishes only dist/.
