import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { renderCommandResult } from '../commandResult';

describe('renderCommandResult', () => {
  it('shows nothing when the server reports by itself', () => {
    assert.equal(renderCommandResult(null), undefined);
    assert.equal(renderCommandResult(undefined), undefined);
    assert.equal(renderCommandResult('  \n'), undefined);
  });

  it('shows strings and {markdown} objects as Markdown', () => {
    assert.deepEqual(renderCommandResult('**Seq Scan** on users'), {
      language: 'markdown',
      content: '**Seq Scan** on users',
    });
    assert.deepEqual(renderCommandResult({ markdown: '# Plan', plan: [] }), {
      language: 'markdown',
      content: '# Plan',
    });
  });

  it('shows anything else as JSON', () => {
    assert.deepEqual(renderCommandResult([{ Plan: { 'Node Type': 'Seq Scan' } }]), {
      language: 'json',
      content: '[\n  {\n    "Plan": {\n      "Node Type": "Seq Scan"\n    }\n  }\n]\n',
    });
  });
});
