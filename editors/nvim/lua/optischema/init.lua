--- OptiSchema for Neovim: starts `optischema lsp` for SQL buffers, one client
--- per project root, and runs the server's statement commands.
---
--- Works with Neovim 0.7 (`vim.lsp.start_client` + `vim.lsp.buf_attach_client`)
--- and uses `vim.lsp.start` where it exists (0.8+). Requiring this module only
--- defines functions; nothing starts until `setup()` is called.

local M = {}

--- The client name (`:LspInfo`, `vim.lsp.get_clients({ name = ... })`).
M.name = 'optischema'
--- The `workspace/configuration` section the server asks for.
M.section = 'optischema'

--- Server-side commands (`workspace/executeCommand`).
M.commands = {
  explain = 'optischema.explain',
  analyze = 'optischema.analyze',
}

M.defaults = {
  --- The server command; `lsp` runs the language server on stdio.
  cmd = { 'optischema', 'lsp' },
  --- Extra environment for the server, e.g. `{ OPTISCHEMA_LOG = 'debug' }`.
  cmd_env = nil,
  --- The server settings object (see docs/editors.md), sent as
  --- `initializationOptions` and as the `optischema` section of
  --- `workspace/configuration`.
  settings = {},
  filetypes = { 'sql' },
  --- The nearest directory holding one of these is the project root; a file
  --- outside any project gets its own directory as root.
  root_markers = { 'optischema.toml', '.git' },
  --- Merged into Neovim's client capabilities (e.g. from nvim-cmp).
  capabilities = nil,
  --- `function(client, bufnr)`, called when the client attaches to a buffer.
  on_attach = nil,
  --- Show code lenses (each statement's live numbers above it), refreshed
  --- when entering the buffer, when the cursor rests and after insert mode.
  codelens = true,
}

--- The options `setup()` was called with, merged over the defaults.
local options = nil
--- Neovim 0.7 path: project root -> client id.
local clients_by_root = {}
--- Commands we already reported as not executable.
local reported_missing = {}
--- The buffer that shows command results.
local result_bufnr = nil

local has_nvim_0_11 = vim.fn.has('nvim-0.11') == 1

--- Calls a client method: `client:method(...)` on 0.11+, where the
--- dot-call form is deprecated, and `client.method(...)` before.
local function client_call(client, method, ...)
  if has_nvim_0_11 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local uv = vim.uv or vim.loop

local function notify(message, level)
  vim.notify('OptiSchema: ' .. message, level or vim.log.levels.INFO)
end

--- Raises an error naming the option when `value` is not of type `expected`.
local function check_type(name, value, expected, optional)
  if (value == nil and optional) or type(value) == expected then
    return
  end
  error(string.format('optischema: %s must be a %s, got %s', name, expected, type(value)), 3)
end

--- A copy of `value` that encodes as the JSON the server expects: empty
--- tables become `{}` (Neovim would send `[]`, which the server rejects).
function M.to_json_object(value)
  if type(value) ~= 'table' or value == vim.NIL then
    return value
  end
  if vim.tbl_isempty(value) then
    return vim.empty_dict()
  end
  local copy = {}
  for key, item in pairs(value) do
    copy[key] = M.to_json_object(item)
  end
  return copy
end

--- The nearest directory above `path` (a file) that contains one of
--- `markers`, or nil.
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

--- The running OptiSchema clients, optionally only those attached to `bufnr`.
function M.clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local found = {}
  for _, client in ipairs(all) do
    if client.name == M.name and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(found, client)
    end
  end
  return found
end

--- Neovim shows code lenses only after `vim.lsp.codelens.refresh()`: ask
--- for them now and again on the events after which they may have changed.
function M.refresh_codelens_on_events(bufnr)
  local function refresh()
    -- Newer Neovim versions take the buffer; 0.7 refreshes the current one.
    if not pcall(vim.lsp.codelens.refresh, { bufnr = bufnr }) then
      pcall(vim.lsp.codelens.refresh)
    end
  end
  local group = vim.api.nvim_create_augroup('optischema_codelens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave' }, {
    group = group,
    buffer = bufnr,
    desc = 'Refresh OptiSchema code lenses',
    callback = refresh,
  })
  refresh()
end

--- The client configuration for one project root.
function M.client_config(root_dir)
  assert(options, "call require('optischema').setup() first")
  local settings = M.to_json_object(options.settings)
  local capabilities = vim.tbl_deep_extend(
    'force',
    vim.lsp.protocol.make_client_capabilities(),
    options.capabilities or {},
    -- Neovim answers workspace/configuration from `settings` but 0.7 does not
    -- say so; without this the server would never ask.
    { workspace = { configuration = true } }
  )
  return {
    name = M.name,
    cmd = options.cmd,
    cmd_env = options.cmd_env,
    root_dir = root_dir,
    init_options = settings,
    settings = { [M.section] = settings },
    capabilities = capabilities,
    on_attach = function(client, bufnr)
      if options.codelens then
        M.refresh_codelens_on_events(bufnr)
      end
      if options.on_attach then
        options.on_attach(client, bufnr)
      end
    end,
    on_exit = function(_, _, client_id)
      if clients_by_root[root_dir] == client_id then
        clients_by_root[root_dir] = nil
      end
    end,
  }
end

local function executable(cmd)
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  if not reported_missing[cmd[1]] then
    reported_missing[cmd[1]] = true
    notify(
      string.format(
        'cannot run the language server `%s` (not found or not executable). '
          .. 'Install it (`cargo install --path .` in the OptiSchema repository) '
          .. "or pass its path: require('optischema').setup({ cmd = { '/path/to/optischema', 'lsp' } })",
        cmd[1]
      ),
      vim.log.levels.ERROR
    )
  end
  return false
end

--- Starts (or reuses) the client for `bufnr`'s project and attaches it.
--- Returns the client id, or nil when the buffer is not a file or the server
--- cannot be run.
function M.attach(bufnr)
  assert(options, "call require('optischema').setup() first")
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or not executable(options.cmd) then
    return nil
  end
  local root_dir = M.find_root(name, options.root_markers) or vim.fn.fnamemodify(name, ':p:h')
  if vim.lsp.start then
    -- Reuses a running client with the same name and root.
    return vim.lsp.start(M.client_config(root_dir), { bufnr = bufnr })
  end
  local client_id = clients_by_root[root_dir]
  local client = client_id and vim.lsp.get_client_by_id(client_id)
  if not client or client.is_stopped() then
    client_id = vim.lsp.start_client(M.client_config(root_dir))
    if not client_id then
      return nil
    end
    clients_by_root[root_dir] = client_id
  end
  vim.lsp.buf_attach_client(bufnr, client_id)
  return client_id
end

local function attach_open_buffers()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(options.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

--- Sends new settings to every running client (workspace/didChangeConfiguration)
--- and keeps them for clients started later.
function M.set_settings(settings)
  check_type('settings', settings, 'table')
  if options then
    options.settings = settings
  end
  local json = M.to_json_object(settings)
  for _, client in ipairs(M.clients()) do
    -- Neovim 0.10+ answers workspace/configuration from `client.settings`,
    -- older versions from `client.config.settings`.
    client.config.settings = client.config.settings or {}
    client.config.settings[M.section] = json
    if type(client.settings) == 'table' then
      client.settings[M.section] = json
    end
    client.config.init_options = json
    client_call(client, 'notify', 'workspace/didChangeConfiguration', { settings = { [M.section] = json } })
  end
end

--- Configures the plugin and attaches to SQL buffers, now and when they open.
--- Calling it again replaces the options; running clients get the new settings.
function M.setup(opts)
  opts = opts or {}
  check_type('setup()', opts, 'table')
  local merged = vim.tbl_extend('force', M.defaults, opts)
  check_type('cmd', merged.cmd, 'table')
  check_type('cmd_env', merged.cmd_env, 'table', true)
  check_type('settings', merged.settings, 'table')
  check_type('filetypes', merged.filetypes, 'table')
  check_type('root_markers', merged.root_markers, 'table')
  check_type('capabilities', merged.capabilities, 'table', true)
  check_type('on_attach', merged.on_attach, 'function', true)
  check_type('codelens', merged.codelens, 'boolean')
  options = merged
  reported_missing = {}

  vim.lsp.commands[M.commands.explain] = M.run_lens_command

  local group = vim.api.nvim_create_augroup('optischema', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = merged.filetypes,
    desc = 'Attach the OptiSchema language server',
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  if #M.clients() > 0 then
    M.set_settings(merged.settings)
  end
  attach_open_buffers()
end

--- Where the result of a statement command is shown: a scratch buffer in a
--- split at the bottom, reused between commands; the cursor stays put.
local function show_result(command, lines, filetype)
  if not (result_bufnr and vim.api.nvim_buf_is_valid(result_bufnr)) then
    result_bufnr = vim.api.nvim_create_buf(false, true)
    vim.bo[result_bufnr].bufhidden = 'hide'
  end
  vim.api.nvim_buf_set_name(result_bufnr, 'OptiSchema ' .. command)
  vim.bo[result_bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(result_bufnr, 0, -1, false, lines)
  vim.bo[result_bufnr].modifiable = false
  vim.bo[result_bufnr].filetype = filetype
  if vim.fn.bufwinid(result_bufnr) == -1 then
    local current = vim.api.nvim_get_current_win()
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, result_bufnr)
    vim.api.nvim_set_current_win(current)
  end
end

--- Shows what a statement command returned: a string (or `{ markdown = ... }`)
--- as Markdown, other data as a Lua value; `nil` means the server reports by
--- itself (progress, messages, refreshed diagnostics).
function M.show_command_result(command, result)
  if result == nil or result == vim.NIL then
    return
  end
  local markdown = type(result) == 'string' and result
    or (type(result) == 'table' and type(result.markdown) == 'string' and result.markdown)
  if markdown then
    if vim.trim(markdown) ~= '' then
      show_result(command, vim.split(markdown, '\n', { plain = true }), 'markdown')
    end
  else
    show_result(command, vim.split(vim.inspect(result), '\n', { plain = true }), 'lua')
  end
end

--- Runs a server command on the statement under the cursor: the arguments
--- are `{ { uri = ..., position = { line = ..., character = ... } } }`, the
--- position in the client's offset encoding.
function M.statement_command(command)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1]
  if not client then
    notify('no OptiSchema language server is attached to this buffer (see :LspInfo)', vim.log.levels.ERROR)
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local request = {
    command = command,
    arguments = { { uri = params.textDocument.uri, position = params.position } },
  }
  M.execute(client, bufnr, request)
end

--- Sends `workspace/executeCommand` and shows its answer (or its error).
function M.execute(client, bufnr, request)
  client_call(client, 'request', 'workspace/executeCommand', request, function(err, result)
    if err then
      notify(request.command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    M.show_command_result(request.command, result)
  end, bufnr)
end

--- A code lens (`vim.lsp.codelens.run()`) runs `optischema.explain` through
--- this handler; the default one would drop the plan the server answers with.
function M.run_lens_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    notify('the OptiSchema language server of this lens has stopped', vim.log.levels.ERROR)
    return
  end
  M.execute(client, ctx.bufnr, { command = command.command, arguments = command.arguments })
end

function M.explain()
  M.statement_command(M.commands.explain)
end

function M.analyze()
  M.statement_command(M.commands.analyze)
end

local STOP_TIMEOUT_MS = 5000

--- Starts a stopped client again from its configuration (clients that were
--- not started by `setup()`).
local function relaunch(config, buffers)
  if vim.lsp.start then
    for _, bufnr in ipairs(buffers) do
      vim.lsp.start(config, { bufnr = bufnr })
    end
    return
  end
  local client_id = vim.lsp.start_client(config)
  if client_id then
    for _, bufnr in ipairs(buffers) do
      vim.lsp.buf_attach_client(bufnr, client_id)
    end
  end
end

--- Stops every OptiSchema client and starts fresh ones for the same buffers.
--- Clients from nvim-lspconfig are restarted with `:LspRestart`.
function M.restart()
  local stopping = {}
  for _, client in ipairs(M.clients()) do
    table.insert(stopping, {
      id = client.id,
      config = client.config,
      buffers = vim.tbl_keys(client.attached_buffers or {}),
    })
  end
  if #stopping == 0 then
    if options then
      attach_open_buffers()
    else
      notify('no OptiSchema language server is running', vim.log.levels.WARN)
    end
    return
  end
  if not options and vim.fn.exists(':LspRestart') == 2 then
    local ids = vim.tbl_map(function(entry)
      return tostring(entry.id)
    end, stopping)
    vim.cmd('LspRestart ' .. table.concat(ids, ' '))
    return
  end
  for _, entry in ipairs(stopping) do
    vim.lsp.stop_client(entry.id)
  end
  local waited = 0
  local function start_when_stopped()
    local running = vim.tbl_filter(function(entry)
      return vim.lsp.get_client_by_id(entry.id) ~= nil
    end, stopping)
    if #running > 0 and waited < STOP_TIMEOUT_MS then
      waited = waited + 50
      if waited >= STOP_TIMEOUT_MS then
        for _, entry in ipairs(running) do
          vim.lsp.stop_client(entry.id, true)
        end
      end
      vim.defer_fn(start_when_stopped, 50)
      return
    end
    for _, entry in ipairs(stopping) do
      local buffers = vim.tbl_filter(vim.api.nvim_buf_is_loaded, entry.buffers)
      if options then
        for _, bufnr in ipairs(buffers) do
          M.attach(bufnr)
        end
      else
        relaunch(entry.config, buffers)
      end
    end
  end
  start_when_stopped()
end

return M
