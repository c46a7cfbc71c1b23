-- Neovim 0.11+: vim.lsp.config('optischema', { settings = { optischema = {...} } })
-- and vim.lsp.enable('optischema'). The settings object is also sent as
-- initializationOptions.
return {
  cmd = { 'optischema', 'lsp' },
  filetypes = { 'sql' },
  root_markers = { 'optischema.toml', '.git' },
  settings = { optischema = vim.empty_dict() },
  before_init = function(params, config)
    local settings = require('optischema').to_json_object(config.settings.optischema or {})
    -- In place: the client answers workspace/configuration from this table.
    config.settings.optischema = settings
    params.initializationOptions = settings
  end,
}
