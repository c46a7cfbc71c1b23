-- User commands for the OptiSchema language server. They work for clients
-- started by require('optischema').setup(), nvim-lspconfig or vim.lsp.config;
-- the module is only loaded when a command runs.
if vim.g.loaded_optischema then
  return
end
vim.g.loaded_optischema = true

vim.api.nvim_create_user_command('OptiSchemaExplain', function()
  require('optischema').explain()
end, { desc = 'OptiSchema: show the plan of the statement under the cursor' })

vim.api.nvim_create_user_command('OptiSchemaAnalyze', function()
  require('optischema').analyze()
end, { desc = 'OptiSchema: validated index and rewrite suggestions for the statement under the cursor' })

vim.api.nvim_create_user_command('OptiSchemaRestart', function()
  require('optischema').restart()
end, { desc = 'OptiSchema: restart the language server' })
