-- nvim-lspconfig before 1.0 looks servers up as lspconfig.server_configurations.<name>.
return require('optischema.lspconfig')
