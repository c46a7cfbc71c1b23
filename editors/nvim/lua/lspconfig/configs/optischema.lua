-- nvim-lspconfig 1.x looks servers up as lspconfig.configs.<name>.
return require('optischema.lspconfig')
