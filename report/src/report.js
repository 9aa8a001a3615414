// Renders the data embedded in report.html. Everything lazy: a test's details
// and log are built when it is opened, the passing tests when their list is
// opened, and a log shows only the rows on screen (virtual scrolling).
// The URL fragment holds the view: #level=warn&q=text&test=name&open=all
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('data').textContent);
  var LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];
  var LINE = 18;
  var HEAD = /^\S+ (ERROR|WARN |INFO |DEBUG|TRACE) \[/;
  var state = { level: 'all', q: '' };
  var logs = {};
  var viewers = [];

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (k === 'text') node.textContent = attrs[k];
        else if (k === 'class') node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function readHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    var level = p.get('level') || 'all';
    state.level = LEVELS.indexOf(level) >= 0 ? level : 'all';
    state.q = p.get('q') || '';
    return p;
  }

  function writeHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    if (state.level !== 'all') p.set('level', state.level); else p.delete('level');
    if (state.q) p.set('q', state.q); else p.delete('q');
    history.replaceState(null, '', '#' + p.toString());
  }

  // A log: its lines and each line's level (a continuation line has its
  // record's level; 5 = before any record).
  function getLog(i) {
    if (logs[i]) return logs[i];
    var text = JSON.parse(document.getElementById('log-' + i).textContent);
    var lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    var lv = new Uint8Array(lines.length);
    var cur = 5;
    for (var k = 0; k < lines.length; k++) {
      var m = HEAD.exec(lines[k]);
      if (m) cur = LEVELS.indexOf(m[1].trim().toLowerCase());
      lv[k] = cur;
    }
    logs[i] = { lines: lines, lv: lv };
    return logs[i];
  }

  function highlight(parent, text, q) {
    if (text.length > 4000) text = text.slice(0, 4000) + ' \u2026 (' + (text.length - 4000) + ' more characters: open the file)';
    if (!q) { parent.appendChild(document.createTextNode(text)); return; }
    var lower = text.toLowerCase(), ql = q.toLowerCase(), at = 0, hit;
    while ((hit = lower.indexOf(ql, at)) >= 0) {
      parent.appendChild(document.createTextNode(text.slice(at, hit)));
      parent.appendChild(el('mark', { text: text.slice(hit, hit + q.length) }));
      at = hit + q.length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // A virtualised log view, refreshed when the level or the search changes.
  function Viewer(index) {
    var loadStart = performance.now();
    var log = getLog(index);
    var loadMs = Math.round(performance.now() - loadStart);
    var status = el('div', { class: 'status' });
    var box = el('div', { class: 'log', tabindex: '0' });
    var spacer = el('div');
    box.appendChild(spacer);
    var rows = [];
    var painted = [];
    var pending = false;
    function filter() {
      var t0 = performance.now();
      var max = state.level === 'all' ? 5 : LEVELS.indexOf(state.level);
      var q = state.q.toLowerCase();
      rows = [];
      for (var k = 0; k < log.lines.length; k++) {
        if (log.lv[k] > max) continue;
        if (q && log.lines[k].toLowerCase().indexOf(q) < 0) continue;
        rows.push(k);
      }
      spacer.style.height = rows.length * LINE + 'px';
      box.style.height = Math.min(rows.length * LINE + 4, Math.max(200, window.innerHeight * 0.7)) + 'px';
      var what = [];
      if (state.level !== 'all') what.push('level ' + state.level + ' and above');
      if (state.q) what.push('containing \u201c' + state.q + '\u201d');
      status.textContent = (what.length ? rows.length + ' of ' + log.lines.length + ' lines, ' + what.join(', ') : log.lines.length + ' lines');
      status.setAttribute('data-shown', rows.length);
      status.setAttribute('data-total', log.lines.length);
      status.setAttribute('data-ms', String(Math.round(performance.now() - t0)));
      status.setAttribute('data-load-ms', String(loadMs));
      paint();
    }
    function paint() {
      pending = false;
      painted.forEach(function (n) { box.removeChild(n); });
      painted = [];
      var top = box.scrollTop, height = box.clientHeight || 600;
      var first = Math.max(0, Math.floor(top / LINE) - 30);
      var last = Math.min(rows.length, Math.ceil((top + height) / LINE) + 30);
      var frag = document.createDocumentFragment();
      for (var r = first; r < last; r++) {
        var k = rows[r];
        var lvl = log.lv[k] < 5 ? LEVELS[log.lv[k]] : 'none';
        var row = el('div', { class: 'row lv-' + lvl, 'data-line': k + 1, 'data-level': lvl });
        row.style.top = r * LINE + 'px';
        row.appendChild(el('span', { class: 'no', text: String(k + 1) }));
        highlight(row, log.lines[k], state.q);
        frag.appendChild(row);
        painted.push(row);
      }
      box.appendChild(frag);
    }
    box.addEventListener('scroll', function () {
      if (!pending) { pending = true; requestAnimationFrame(paint); }
    });
    this.node = el('div', { class: 'viewer' }, status, box);
    this.refresh = filter;
    filter();
  }

  function pre(cls, text) { return el('pre', { class: cls, text: text }); }

  function failureText(f) {
    var parts = [];
    if (f.msg) parts.push(f.msg);
    if (f.type) parts.push('(' + f.type + ')');
    var text = parts.join(' ');
    // nextest's text usually starts with the message: say it once.
    if (f.text) text = f.msg && f.text.indexOf(f.msg) === 0 ? f.text + (f.type ? '\n(' + f.type + ')' : '') : text + '\n\n' + f.text;
    if (f.out) text += '\n\n--- stdout ---\n' + f.out;
    if (f.err) text += '\n\n--- stderr ---\n' + f.err;
    return text;
  }

  function attemptsTable(t) {
    var table = el('table', { class: 'attempts' },
      el('tr', null, el('th', { text: 'attempt' }), el('th', { text: 'outcome' }), el('th', { text: 'records' }),
        el('th', { text: 'E / W / I / D / T', title: 'records per level: error / warn / info / debug / trace' }), el('th', { text: 'log' }), el('th', { text: 'from' })));
    (t.a || []).forEach(function (a) {
      var link = a.href ? el('a', { href: a.href, text: a.path }) : el('span', { class: 'note', text: a.note || 'no log kept' });
      table.appendChild(el('tr', null,
        el('td', { text: String(a.n) + (t.allowed ? ' of ' + t.allowed : '') + (a.run ? ' (run ' + a.run + ')' : '') }),
        el('td', { class: a.o, text: a.o }),
        el('td', { text: a.rec == null ? '' : String(a.rec) }),
        el('td', { text: a.lv ? a.lv.join(' / ') : '' }),
        el('td', null, link),
        el('td', null, el('code', { text: a.src }))));
    });
    return table;
  }

  function tail(index, n) {
    var lines = getLog(index).lines;
    return lines.slice(Math.max(0, lines.length - n)).join('\n');
  }

  function testBody(t) {
    var body = el('div', { class: 'body' });
    if (t.dup) body.appendChild(el('p', { class: 'dup', text: 'Duplicate: ' + t.dup }));
    (t.notes || []).forEach(function (n) { body.appendChild(el('p', { class: 'note', text: n })); });
    if (t.a && t.a.length) body.appendChild(attemptsTable(t));
    var withLog = (t.a || []).filter(function (a) { return a.L != null; });
    var key = withLog.filter(function (a) { return a.n === t.key; })[0] || withLog[withLog.length - 1];

    body.appendChild(el('h3', { text: 'Failure report' }));
    var j = t.j;
    if (j && (j.failure || j.retries || j.out || j.err)) {
      // nextest (like Maven Surefire): <failure> and the test case's output
      // are the first attempt, each <rerunFailure> a later one; a flaky
      // test's <flakyFailure>s are its failed attempts and the test case
      // its last, passing one.
      var own = j.failure ? failureText(j.failure) : '';
      if (j.out) own += '\n\n--- stdout ---\n' + j.out;
      if (j.err) own += '\n\n--- stderr ---\n' + j.err;
      var parts = [];
      if (j.failure) parts.push(['attempt 1 (' + j.failure.el + ')', own]);
      (j.retries || []).forEach(function (f) {
        parts.push(['attempt ' + (parts.length + 1) + ' (' + f.el + ')', failureText(f)]);
      });
      if (!j.failure && own.trim()) parts.push(['attempt ' + (parts.length + 1) + ' (passed)', own]);
      // The last attempt open, earlier ones a click away.
      parts.forEach(function (p, i) {
        var d = el('details', { class: 'attempt-report' }, el('summary', { text: p[0] }), pre('report', p[1].trim()));
        d.open = i === parts.length - 1;
        body.appendChild(d);
      });
    } else {
      body.appendChild(el('p', { text: 'The failure report (the assertion\u2019s message, the test\u2019s last records and where its log is) ' +
        'is what the test printed; it is not stored on disk with the log. Find it in the CI job\u2019s output under the test\u2019s name, ' +
        'or make this report with --junit target/nextest/<profile>/junit.xml (nextest keeps failing tests\u2019 output there).' +
        (key ? ' The log\u2019s last 50 lines:' : '') }));
      if (key) body.appendChild(pre('report tail', tail(key.L, 50)));
    }

    body.appendChild(el('h3', { text: 'Log' }));
    if (!withLog.length) {
      body.appendChild(el('p', { class: 'note', text: 'No log in the report: ' +
        ((t.a || []).map(function (a) { return a.note; }).filter(Boolean).join('; ') || 'the test wrote no manifest line and left no log file') }));
      return body;
    }
    var holder = el('div');
    var tabs = el('div', { class: 'tabs' });
    var current = null;
    function show(a, button) {
      if (current) viewers.splice(viewers.indexOf(current), 1);
      current = new Viewer(a.L);
      viewers.push(current);
      holder.textContent = '';
      holder.appendChild(current.node);
      Array.prototype.forEach.call(tabs.children, function (b) { b.classList.remove('on'); });
      button.classList.add('on');
    }
    withLog.forEach(function (a) {
      var b = el('button', { type: 'button', text: 'attempt ' + a.n + ' (' + a.o + ')' });
      b.addEventListener('click', function () { show(a, b); });
      tabs.appendChild(b);
    });
    body.appendChild(tabs);
    body.appendChild(holder);
    show(key, tabs.children[withLog.indexOf(key)]);
    return body;
  }

  // With a search, each listed test says how many of its log lines match
  // (at the chosen level), and a test with none, whose name does not
  // match either, is dimmed.
  var listed = [];
  function countMatches() {
    var q = state.q.toLowerCase();
    var max = state.level === 'all' ? 5 : LEVELS.indexOf(state.level);
    listed.forEach(function (item) {
      var t = item.t;
      if (!q) {
        item.count.textContent = '';
        item.d.removeAttribute('data-matches');
        item.d.classList.remove('nomatch');
        return;
      }
      var seen = {}, n = 0;
      (t.a || []).forEach(function (a) {
        if (a.L == null || seen[a.L]) return;
        seen[a.L] = true;
        var log = getLog(a.L);
        for (var k = 0; k < log.lines.length; k++) {
          if (log.lv[k] <= max && log.lines[k].toLowerCase().indexOf(q) >= 0) n++;
        }
      });
      item.count.textContent = ' \u00b7 ' + n + (n === 1 ? ' matching line' : ' matching lines');
      item.d.setAttribute('data-matches', String(n));
      item.d.classList.toggle('nomatch', n === 0 && t.n.toLowerCase().indexOf(q) < 0);
    });
  }

  function testDetails(t) {
    var summary = el('summary', null,
      el('span', { class: 'badge ' + t.s, text: t.s }), ' ',
      el('span', { class: 'bin', text: t.b }), ' ',
      el('code', { text: t.n }),
      t.a && t.a.length > 1 ? ' \u00b7 ' + t.a.length + ' attempts' : null,
      t.dup ? el('span', { class: 'dup', text: ' \u00b7 duplicate' }) : null);
    var count = el('span', { class: 'matches' });
    summary.appendChild(count);
    var d = el('details', { class: 'test', 'data-test': t.n, 'data-status': t.s }, summary);
    listed.push({ t: t, d: d, count: count });
    var built = false;
    d.addEventListener('toggle', function () {
      if (d.open && !built) { built = true; d.appendChild(testBody(t)); }
    });
    return d;
  }

  function summaryTable() {
    var table = el('table', { class: 'binaries' },
      el('tr', null, el('th', { text: 'binary' }), el('th', { text: 'passed' }), el('th', { text: 'failed' }),
        el('th', { text: 'crashed' }), el('th', { text: 'flaky' })));
    data.binaries.forEach(function (b) {
      table.appendChild(el('tr', { 'data-binary': b[0] }, el('td', { text: b[0] }),
        el('td', { class: 'passed', text: String(b[1]) }), el('td', { class: 'failed' + (b[2] ? '' : ' zero'), text: String(b[2]) }),
        el('td', { class: 'crashed' + (b[3] ? '' : ' zero'), text: String(b[3]) }), el('td', { class: 'flaky' + (b[4] ? '' : ' zero'), text: String(b[4]) })));
    });
    return table;
  }

  function passedList(tests) {
    var d = el('details', { id: 'passed' }, el('summary', { text: 'Passed tests (' + tests.length + ')' }));
    var built = false;
    d.addEventListener('toggle', function () {
      if (!d.open || built) return;
      built = true;
      var list = el('ul', { class: 'passed-list' });
      d.appendChild(list);
      var i = 0;
      (function chunk() {
        var frag = document.createDocumentFragment();
        for (var end = Math.min(tests.length, i + 1000); i < end; i++) {
          var t = tests[i];
          frag.appendChild(el('li', null, el('span', { class: 'bin', text: t.b + ' ' }),
            t.href ? el('a', { href: t.href, text: t.n }) : el('code', { text: t.n }),
            t.notes ? el('span', { class: 'note', text: ' ' + t.notes.join('; ') }) : null,
            t.dup ? el('span', { class: 'dup', text: ' duplicate: ' + t.dup }) : null));
        }
        list.appendChild(frag);
        if (i < tests.length) setTimeout(chunk, 0);
      })();
    });
    return d;
  }

  function controls() {
    var level = el('select', { id: 'level' });
    ['all'].concat(LEVELS).forEach(function (l) {
      level.appendChild(el('option', { value: l, text: l === 'all' ? 'all levels' : l + (l === 'error' ? '' : ' and above') }));
    });
    level.value = state.level;
    var search = el('input', { type: 'search', id: 'q', placeholder: 'search the logs', value: state.q });
    var timer = null;
    function apply() { writeHash(); viewers.forEach(function (v) { v.refresh(); }); countMatches(); }
    level.addEventListener('change', function () { state.level = level.value; apply(); });
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = search.value; apply(); }, 150);
    });
    window.addEventListener('hashchange', function () {
      readHash(); level.value = state.level; search.value = state.q;
      viewers.forEach(function (v) { v.refresh(); });
      countMatches();
    });
    return el('div', { class: 'controls' }, el('label', null, 'Level ', level), el('label', null, 'Search ', search));
  }

  function main() {
    var params = readHash();
    var app = document.getElementById('app');
    app.appendChild(el('p', { class: 'status', text: 'From ' + data.dirs.join(', ') + (data.junit.length ? ' and ' + data.junit.join(', ') : '') }));
    if (data.problems.length) {
      var ul = el('ul');
      data.problems.forEach(function (p) { ul.appendChild(el('li', { text: p })); });
      app.appendChild(el('div', { class: 'problems', id: 'problems' }, el('strong', { text: 'Problems with the input' }), ul));
    }
    var dups = data.tests.filter(function (t) { return t.dup; });
    if (dups.length) {
      var dl = el('ul');
      dups.forEach(function (t) { dl.appendChild(el('li', null, el('code', { text: t.b + ' ' + t.n }), ': ' + t.dup)); });
      app.appendChild(el('div', { class: 'problems', id: 'duplicates' },
        el('strong', { text: dups.length + (dups.length === 1 ? ' test' : ' tests') + ' ran more than once (a shard overlap, or two runs in one directory)' }), dl));
    }
    app.appendChild(el('h2', { text: 'Per binary' }));
    app.appendChild(summaryTable());
    app.appendChild(controls());
    var outside = data.tests.filter(function (t) { return t.u; });
    var bad = data.tests.filter(function (t) { return !t.u && t.s !== 'passed'; });
    var good = data.tests.filter(function (t) { return !t.u && t.s === 'passed'; });
    app.appendChild(el('h2', { text: 'Failed, crashed and flaky (' + bad.length + ')' }));
    var section = el('section', { id: 'failing' });
    var want = params.get('test');
    var openAll = params.get('open') === 'all';
    var target = null;
    bad.forEach(function (t) {
      var d = testDetails(t);
      section.appendChild(d);
      if (openAll || (want && t.n === want)) { d.open = true; target = target || d; }
    });
    if (!bad.length) section.appendChild(el('p', { text: 'None.' }));
    app.appendChild(section);
    app.appendChild(el('h2', { text: 'Passed' }));
    app.appendChild(passedList(good));
    if (outside.length) {
      var other = el('details', { id: 'outside' }, el('summary', { text: 'Logs that no JUnit test case has (' + outside.length +
        '): sessions a test named itself (TestLogs::new, several per test, or inside a test that expects a panic), ' +
        'or tests of a shard whose JUnit file was not given; not counted above' }));
      outside.forEach(function (t) {
        var d = testDetails(t);
        other.appendChild(d);
        if (want && t.n === want) { other.open = true; d.open = true; target = target || d; }
      });
      app.appendChild(other);
    }
    countMatches();
    if (target) target.scrollIntoView();

  }

  main();
  // For measuring: milliseconds from navigation to the page's first render.
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
})();
