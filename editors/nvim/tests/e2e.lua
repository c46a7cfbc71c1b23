-- End-to-end check of the plugin in headless Neovim against the real server.
-- tests/editor_nvim.rs runs it as
--   nvim --headless --clean --cmd 'set rtp^=editors/nvim' -c 'luafile editors/nvim/tests/e2e.lua'
-- with these environment variables:
--   OPTISCHEMA_SERVER     the optischema binary
--   OPTISCHEMA_TEST_FILE  the .sql file to open (a syntax error and a valid statement)
--   OPTISCHEMA_TEST_AT    "line:col" (0-based line, 0-based byte column) inside the valid statement
--   OPTISCHEMA_TEST_OUT   where to write what was observed, as JSON
--   OPTISCHEMA_TEST_TIMEOUT_MS  per wait (default 20000)
-- It always writes the JSON and quits: exit 0 when every step completed,
-- 1 on a timeout, 2 on a Lua error. The Rust test asserts on the JSON.

local out = { steps = {}, messages = {} }

local function getenv(name)
  local value = os.getenv(name)
  if value == nil or value == '' then
    error('environment variable ' .. name .. ' is not set')
  end
  return value
end

local out_path = os.getenv('OPTISCHEMA_TEST_OUT')
local timeout_ms = tonumber(os.getenv('OPTISCHEMA_TEST_TIMEOUT_MS') or '') or 20000

local function finish(code)
  out.lsp_log = vim.lsp.get_log_path()
  if out_path then
    local file = assert(io.open(out_path, 'w'))
    file:write(vim.json.encode(out))
    file:close()
  end
  if code == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit ' .. code)
  end
end

--- Waits for `probe` to return a value; on timeout writes what we have and exits 1.
local function wait_for(what, probe)
  local value
  local done = vim.wait(timeout_ms, function()
    value = probe()
    return value ~= nil
  end, 20)
  if not done then
    out.error = 'timed out after ' .. timeout_ms .. ' ms waiting for ' .. what
    finish(1)
  end
  table.insert(out.steps, what)
  return value
end

local function record_message(kind, message, level)
  table.insert(out.messages, { kind = kind, message = tostring(message), level = level })
end

local function diagnostics_of(bufnr, client_id)
  local found = {}
  local namespace = vim.lsp.diagnostic.get_namespace(client_id)
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr, { namespace = namespace })) do
    if diagnostic.source == 'optischema' then
      table.insert(found, {
        lnum = diagnostic.lnum,
        col = diagnostic.col,
        end_lnum = diagnostic.end_lnum,
        end_col = diagnostic.end_col,
        severity = diagnostic.severity,
        code = diagnostic.code,
        message = diagnostic.message,
        source = diagnostic.source,
      })
    end
  end
  return found
end

--- The buffer's diagnostics from `client_id` once they include the syntax
--- error at `severity` (the server may publish once before it has applied
--- new settings). Keeps the latest diagnostics in `out[key]` so a timeout
--- shows them.
local function syntax_error_at(severity, bufnr, client_id, key)
  local found = diagnostics_of(bufnr, client_id)
  out[key] = found
  for _, diagnostic in ipairs(found) do
    if diagnostic.code == 'syntax-error' and diagnostic.severity == severity then
      return found
    end
  end
  return nil
end

local function client_summary(client)
  return {
    id = client.id,
    name = client.name,
    root_dir = client.config.root_dir,
    offset_encoding = client.offset_encoding,
  }
end

--- Records the workspace/executeCommand request a client sends and its answer.
local function capture_execute_command(client)
  local original = client.request
  client.request = function(...)
    local args = { ... }
    local count = select('#', ...)
    -- 0.11+ calls client:request(...), older versions client.request(...).
    local first = args[1] == client and 2 or 1
    out.requested = out.requested or {}
    out.requested[args[first]] = true
    if args[first] == 'workspace/executeCommand' then
      out.execute_command = args[first + 1]
      local handler = args[first + 2]
      args[first + 2] = function(err, result, ...)
        out.execute_command_response = {
          error = err and (err.message or tostring(err)) or vim.NIL,
          result = result == nil and vim.NIL or result,
        }
        return handler(err, result, ...)
      end
    end
    return original(unpack(args, 1, count))
  end
end

local function main()
  local server = getenv('OPTISCHEMA_SERVER')
  local file = getenv('OPTISCHEMA_TEST_FILE')
  local line, col = getenv('OPTISCHEMA_TEST_AT'):match('^(%d+):(%d+)$')
  assert(line, 'OPTISCHEMA_TEST_AT must be "line:col"')
  line, col = tonumber(line), tonumber(col)

  vim.notify = function(message, level)
    record_message('notify', message, level)
  end
  vim.lsp.handlers['window/showMessage'] = function(_, result)
    record_message('showMessage', result.message, result.type)
  end
  vim.lsp.set_log_level('debug')
  vim.cmd('filetype on')

  local optischema = require('optischema')
  out.commands_defined = vim.fn.exists(':OptiSchemaExplain') == 2
    and vim.fn.exists(':OptiSchemaAnalyze') == 2
    and vim.fn.exists(':OptiSchemaRestart') == 2
  optischema.setup({
    cmd = { server, 'lsp' },
    -- Proves the settings reach the server (initializationOptions and
    -- workspace/configuration): syntax errors become warnings.
    settings = { rules = { ['syntax-error'] = 'warning' }, thresholds = {} },
  })

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  out.filetype = vim.bo[bufnr].filetype
  out.uri = vim.uri_from_bufnr(bufnr)

  local client = wait_for('a client attached to the buffer', function()
    return optischema.clients(bufnr)[1]
  end)
  out.client = client_summary(client)

  local severity = vim.diagnostic.severity
  wait_for('a syntax-error diagnostic at warning severity', function()
    return syntax_error_at(severity.WARN, bufnr, client.id, 'diagnostics')
  end)

  vim.api.nvim_win_set_cursor(0, { line + 1, col })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local responses, err = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, timeout_ms)
  if not responses then
    out.error = 'hover failed: ' .. tostring(err)
    finish(1)
  end
  local response = responses[client.id] or {}
  out.hover = response.result or vim.NIL
  out.hover_error = response.error or response.err or vim.NIL
  table.insert(out.steps, 'hover')

  capture_execute_command(client)
  vim.cmd('OptiSchemaExplain')
  wait_for('the answer to workspace/executeCommand', function()
    return out.execute_command_response
  end)

  -- Code lenses are asked for again when insert mode ends.
  vim.api.nvim_exec_autocmds('InsertLeave', { buffer = bufnr })
  wait_for('a textDocument/codeLens request after InsertLeave', function()
    return out.requested['textDocument/codeLens']
  end)
  out.codelens_refreshed = true

  -- A code lens's command goes through the plugin's handler to the server.
  local explain_command = out.execute_command
  out.execute_command_response = nil
  local lens_command = {
    title = 'lens',
    command = 'optischema.explain',
    arguments = { { uri = out.uri, position = { line = 0, character = 0 } } },
  }
  vim.lsp.commands['optischema.explain'](lens_command, { bufnr = bufnr, client_id = client.id })
  wait_for('the answer to the lens command', function()
    return out.execute_command_response
  end)
  out.lens_command = out.execute_command
  out.execute_command = explain_command

  vim.cmd('OptiSchemaRestart')
  local restarted = wait_for('a new client after :OptiSchemaRestart', function()
    local current = optischema.clients(bufnr)[1]
    if current and current.id ~= client.id then
      return current
    end
    return nil
  end)
  out.restarted_client = client_summary(restarted)
  wait_for('the syntax-error diagnostic from the new client', function()
    return syntax_error_at(severity.WARN, bufnr, restarted.id, 'diagnostics_after_restart')
  end)
  out.clients_after_restart = #optischema.clients()

  -- New settings while running: syntax errors back to errors.
  optischema.set_settings({ rules = { ['syntax-error'] = 'error' } })
  wait_for('the syntax-error diagnostic at error severity after set_settings()', function()
    return syntax_error_at(severity.ERROR, bufnr, restarted.id, 'diagnostics_after_set_settings')
  end)

  finish(0)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  out.error = tostring(err)
  finish(2)
end
