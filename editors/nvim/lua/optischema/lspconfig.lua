--- The OptiSchema server for nvim-lspconfig. lspconfig finds it by name
--- (`require('lspconfig').optischema.setup({...})`) through
--- lua/lspconfig/configs/optischema.lua (lspconfig 1.x) and
--- lua/lspconfig/server_configurations/optischema.lua (older releases).
---
--- Settings go in `settings = { optischema = { ... } }`; they are also sent
--- as `initializationOptions`.

local optischema = require('optischema')

return {
  default_config = {
    cmd = optischema.defaults.cmd,
    filetypes = optischema.defaults.filetypes,
    root_dir = function(fname)
      return optischema.find_root(fname, optischema.defaults.root_markers)
    end,
    single_file_support = true,
    settings = { [optischema.section] = {} },
  },
  on_new_config = function(new_config)
    local settings = optischema.to_json_object((new_config.settings or {})[optischema.section] or {})
    new_config.settings =
      vim.tbl_extend('force', new_config.settings or {}, { [optischema.section] = settings })
    new_config.init_options = settings
  end,
  docs = {
    description = [[
OptiSchema: PostgreSQL performance where SQL is written. Diagnostics, hover
with live pg_stat_statements numbers and validated index and rewrite
suggestions for .sql files. Install the `optischema` binary and see
docs/editors.md for the settings.
]],
  },
}
