// netpolhost report: draws the graph, the heat map, the findings and the policies from the JSON in #report-data.
// No network access, no libraries; every text from the data goes in through textContent, never as markup.
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var N = D.endpoints.length;
  var P = D.ports.length;

  // ---- data ------------------------------------------------------------------------------------------------------
  var names = D.endpoints.map(function (e) { return D.namespaces[e.ns].name + '/' + e.name; });
  var byName = {};
  names.forEach(function (n, i) { byName[n] = i; });
  var groups = D.groups.map(function (g) {
    var exceptions = new Map();
    for (var i = 0; i < g.exceptions.length; i += 3) exceptions.set(g.exceptions[i] * N + g.exceptions[i + 1], g.exceptions[i + 2]);
    return { ports: g.ports, label: g.ports.map(function (p) { return D.ports[p]; }).join(', '), bits: decodeBits(g.allowed), why: decodeBits(g.why), exceptions: exceptions };
  });
  var groupOfPort = [];
  groups.forEach(function (g, gi) { g.ports.forEach(function (p) { groupOfPort[p] = gi; }); });
  var onNode = D.endpoints.map(function (e) { return D.node !== null && e.node === D.node; });

  function decodeBits(text) {
    var s = atob(text), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  function allowed(gi, r, c) { var i = r * N + c; return (groups[gi].bits[i >> 3] >> (i & 7)) & 1; }
  // The explanation of a cell: the index stored for (row class of r, column class of c), little-endian.
  var W = D.why;
  function reasonIndex(gi, r, c) {
    var own = groups[gi].exceptions.get(r * N + c);
    if (own !== undefined) return own;
    var at = (W.rowClass[r] * W.columns + W.columnClass[c]) * W.width, bytes = groups[gi].why, v = 0;
    for (var b = W.width - 1; b >= 0; b--) v = v * 256 + bytes[at + b];
    return v;
  }
  function reason(gi, r, c) { return D.reasons[reasonIndex(gi, r, c)]; }
  // The groups a filter admits: every group, or the one of a port.
  function groupsFor(port) { return port < 0 ? groups.map(function (_, i) { return i; }) : [groupOfPort[port]]; }
  function portsAllowed(r, c, port) {
    var list = [];
    groupsFor(port).forEach(function (gi) {
      if (allowed(gi, r, c)) groups[gi].ports.forEach(function (p) { if (port < 0 || p === port) list.push(p); });
    });
    return list.sort(function (a, b) { return a - b; });
  }

  // ---- small DOM helpers -----------------------------------------------------------------------------------------
  function h(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function s(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k.indexOf('on') === 0) node.addEventListener(k.substring(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : (many || one + 's')); }

  // ---- summary and selects ---------------------------------------------------------------------------------------
  var findings = D.lint.findings;
  document.getElementById('summary').textContent =
    plural(N, 'pod or host endpoint', 'pods and host endpoints') + ' in ' + plural(D.namespaces.length, 'namespace') + '; ' +
    plural(P, 'port') + ' probed (' + plural(groups.length, 'port group') + ' with the same verdicts); ' +
    plural(D.policies.length, 'policy', 'policies') + '; ' + (D.lint.available ? plural(findings.length, 'lint finding') : 'lint not run') +
    (D.node !== null ? '; seen from node ' + D.node : '') + '. From: ' + D.files.join(', ') + '.';
  document.body.setAttribute('data-pods', N);
  document.body.setAttribute('data-disagreements', D.stats.disagreements);

  function fillPortSelect(select) {
    append(select, h('option', { value: -1, text: 'all ports' }));
    groups.forEach(function (g) {
      g.ports.forEach(function (p) { append(select, h('option', { value: p, text: D.ports[p] + (g.ports.length > 1 ? '  (same as ' + g.label + ')' : '') })); });
    });
  }

  // ---- graph -----------------------------------------------------------------------------------------------------
  var svg = document.getElementById('graph');
  var graphPort = document.getElementById('graph-port');
  var nodeOnly = document.getElementById('node-only');
  fillPortSelect(graphPort);
  graphPort.addEventListener('change', drawGraph);
  if (D.node !== null) {
    document.getElementById('node-only-label').hidden = false;
    document.getElementById('node-name').textContent = D.node;
    nodeOnly.checked = true;
    nodeOnly.addEventListener('change', drawGraph);
  }
  var members = D.namespaces.map(function () { return []; });
  D.endpoints.forEach(function (e, i) { members[e.ns].push(i); });
  var LARGE = 12;
  var collapsed = D.namespaces.map(function (_, k) { return N > 60 && members[k].length > LARGE; });
  document.getElementById('expand-all').addEventListener('click', function () { collapsed = collapsed.map(function () { return false; }); drawGraph(); });
  document.getElementById('collapse-all').addEventListener('click', function () { collapsed = members.map(function (m) { return m.length > LARGE; }); drawGraph(); });
  var EDGE_LIMIT = 1500;
  var selected = -1;
  var pos = [];

  function layout() {
    var CW = 130, CH = 62, PAD = 16, HEAD = 30, GAP = 70, WIDTH = Math.max(900, svg.parentNode.clientWidth - 20);
    var boxes = [], x = GAP / 2, y = 20, rowH = 0;
    members.forEach(function (m, k) {
      var w, hgt, cols = 0;
      if (collapsed[k]) { w = 190; hgt = 74; }
      else {
        cols = Math.max(1, Math.min(m.length, Math.ceil(Math.sqrt(m.length * 1.8)), Math.floor((WIDTH - GAP - PAD * 2) / CW)));
        w = Math.max(150, cols * CW + PAD * 2);
        hgt = HEAD + Math.ceil(m.length / cols) * CH + PAD;
      }
      if (x + w > WIDTH && x > GAP) { x = GAP / 2; y += rowH + GAP; rowH = 0; }
      boxes.push({ k: k, x: x, y: y, w: w, h: hgt, cols: cols });
      x += w + GAP; rowH = Math.max(rowH, hgt);
    });
    pos = new Array(N);
    boxes.forEach(function (b) {
      members[b.k].forEach(function (i, j) {
        pos[i] = collapsed[b.k]
          ? { x: b.x + b.w / 2, y: b.y + b.h / 2, r: 34, box: b.k }
          : { x: b.x + PAD + (j % b.cols) * CW + CW / 2, y: b.y + HEAD + Math.floor(j / b.cols) * CH + 16, r: 10, box: -1 };
      });
    });
    return { boxes: boxes, width: WIDTH, height: y + rowH + 30 };
  }

  function edgePath(a, b, bend) {
    var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
    var mx = (a.x + b.x) / 2 - dy / len * len * bend, my = (a.y + b.y) / 2 + dx / len * len * bend;
    // End on the target's rim, pointing from the control point.
    var ex = b.x - mx, ey = b.y - my, el = Math.sqrt(ex * ex + ey * ey) || 1;
    var tx = b.x - ex / el * (b.r + 3), ty = b.y - ey / el * (b.r + 3);
    var sx = a.x + (mx - a.x) / (Math.sqrt((mx - a.x) * (mx - a.x) + (my - a.y) * (my - a.y)) || 1) * a.r;
    var sy = a.y + (my - a.y) / (Math.sqrt((mx - a.x) * (mx - a.x) + (my - a.y) * (my - a.y)) || 1) * a.r;
    return 'M' + sx.toFixed(1) + ' ' + sy.toFixed(1) + ' Q' + mx.toFixed(1) + ' ' + my.toFixed(1) + ' ' + tx.toFixed(1) + ' ' + ty.toFixed(1);
  }

  function drawGraph() {
    var port = Number(graphPort.value);
    var restrict = D.node !== null && nodeOnly.checked;
    var L = layout();
    clear(svg);
    svg.setAttribute('width', L.width);
    svg.setAttribute('height', L.height);
    svg.setAttribute('viewBox', '0 0 ' + L.width + ' ' + L.height);
    append(svg, s('defs', null,
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M0 0 L10 5 L0 10 z', fill: '#57606a' }))));
    var boxLayer = s('g', { id: 'namespaces' });
    var edgeLayer = s('g', { id: 'edges' });
    var nodeLayer = s('g', { id: 'nodes' });
    append(svg, [boxLayer, edgeLayer, nodeLayer]);

    // Pod-level pairs and namespace-level aggregates.
    var podEdges = [], agg = {};
    for (var r = 0; r < N; r++) {
      for (var c = 0; c < N; c++) {
        if (r === c || (restrict && !onNode[r] && !onNode[c])) continue;
        var ports = portsAllowed(r, c, port);
        if (!ports.length) continue;
        var pr = pos[r], pc = pos[c];
        if (pr.box < 0 && pc.box < 0) { podEdges.push([r, c, ports]); continue; }
        var from = pr.box < 0 ? 'pod:' + r : 'ns:' + pr.box, to = pc.box < 0 ? 'pod:' + c : 'ns:' + pc.box;
        if (from === to) continue;
        var key = from + '|' + to, a = agg[key];
        if (!a) a = agg[key] = { r: r, c: c, from: from, to: to, count: 0, ports: {} };
        a.count++;
        ports.forEach(function (p) { a.ports[p] = true; });
      }
    }
    var aggList = Object.keys(agg).map(function (k) { return agg[k]; });
    var total = podEdges.length + aggList.length;
    var note = document.getElementById('graph-note');
    var tooMany = total > EDGE_LIMIT;
    note.hidden = !tooMany;
    if (tooMany) note.textContent = total + ' connections are too many to draw at once: only those of the selected pod are drawn. Collapse namespaces, choose a port, or click a pod.';
    svg.setAttribute('data-edges', total);

    podEdges.forEach(function (e) {
      var a = names[e[0]], b = names[e[1]];
      if (tooMany && e[0] !== selected && e[1] !== selected) return;
      // Within a namespace, pods sit in rows: a stronger bend keeps an arrow off the pods between its ends.
      var d = edgePath(pos[e[0]], pos[e[1]], D.endpoints[e[0]].ns === D.endpoints[e[1]].ns ? 0.28 : 0.1);
      var g = s('g', { 'class': 'edge', 'data-pair': a + '->' + b, 'data-from': e[0], 'data-to': e[1] },
        s('title', { text: a + ' \u2192 ' + b + ': ' + e[2].map(function (p) { return D.ports[p]; }).join(', ') }));
      e[2].forEach(function (p) { append(g, s('path', { d: d, 'data-edge': a + '->' + b + ':' + D.ports[p], 'marker-end': 'url(#arrow)' })); });
      append(edgeLayer, g);
    });
    aggList.forEach(function (a) {
      var fromPod = a.from.indexOf('pod:') === 0, toPod = a.to.indexOf('pod:') === 0;
      if (tooMany && !(fromPod && a.r === selected) && !(toPod && a.c === selected)) return;
      var label = function (end, i) { return end.indexOf('pod:') === 0 ? names[i] : 'ns:' + D.namespaces[pos[i].box].name; };
      var ports = Object.keys(a.ports).map(Number).sort(function (x, y) { return x - y; }).map(function (p) { return D.ports[p]; });
      var g = s('g', { 'class': 'edge agg' + (fromPod ? ' from-pod' : '') + (toPod ? ' to-pod' : ''), 'data-from': fromPod ? a.r : '', 'data-to': toPod ? a.c : '' },
        s('title', { text: label(a.from, a.r) + ' \u2192 ' + label(a.to, a.c) + ': ' + plural(a.count, 'connection') + ' between pods; ' + ports.join(', ') }),
        s('path', { 'class': 'agg', d: edgePath(pos[a.r], pos[a.c], 0.12), 'data-group-edge': label(a.from, a.r) + '->' + label(a.to, a.c), 'data-ports': ports.join(' '), 'marker-end': 'url(#arrow)' }));
      append(edgeLayer, g);
    });

    L.boxes.forEach(function (b) {
      var ns = D.namespaces[b.k].name, m = members[b.k];
      var title = s('text', { 'class': 'title', x: 10, y: 19, text: ns + (collapsed[b.k] ? '' : '  (' + m.length + ')') },
        s('title', { text: (collapsed[b.k] ? 'expand ' : 'collapse ') + ns }));
      var box = s('g', { 'class': 'nsbox' + (collapsed[b.k] ? ' collapsed' : ''), 'data-namespace': ns, transform: 'translate(' + b.x + ',' + b.y + ')' },
        s('rect', { 'class': 'box', width: b.w, height: b.h }), title);
      title.addEventListener('click', function () { collapsed[b.k] = !collapsed[b.k]; drawGraph(); });
      if (collapsed[b.k]) {
        append(box, s('text', { 'class': 'count', x: 10, y: 42, text: plural(m.length, 'pod') + ' (collapsed)' }));
        append(box, s('text', { 'class': 'count', x: 10, y: 60, text: 'click the name to expand' }));
      }
      append(boxLayer, box);
      if (collapsed[b.k]) return;
      m.forEach(function (i) {
        var e = D.endpoints[i], p = pos[i];
        var label = e.name.length > 18 ? e.name.substring(0, 17) + '\u2026' : e.name;
        var g = s('g', { 'class': 'pod ' + e.kind + (onNode[i] ? ' on-node' : '') + (i === selected ? ' selected' : ''), 'data-pod': names[i], 'data-index': i, transform: 'translate(' + p.x + ',' + p.y + ')' },
          s('title', { text: names[i] + (e.node ? ' on ' + e.node : '') + (e.ips.length ? ' ' + e.ips.join(', ') : '') }),
          s('circle', { r: p.r }),
          s('text', { y: 26, 'text-anchor': 'middle', text: label }));
        g.addEventListener('click', function () { select(i); });
        append(nodeLayer, g);
      });
    });
    markSelection();
    svg.setAttribute('data-rendered', 'true');
  }

  function markSelection() {
    svg.classList.toggle('has-selection', selected >= 0);
    Array.prototype.forEach.call(svg.querySelectorAll('.edge'), function (g) {
      g.classList.toggle('incoming', String(selected) === g.getAttribute('data-to'));
      g.classList.toggle('outgoing', String(selected) === g.getAttribute('data-from'));
    });
    Array.prototype.forEach.call(svg.querySelectorAll('.pod'), function (g) {
      var i = Number(g.getAttribute('data-index'));
      g.classList.toggle('selected', i === selected);
      g.classList.toggle('dim', selected >= 0 && i !== selected && !(portsAllowed(i, selected, -1).length || portsAllowed(selected, i, -1).length));
    });
  }

  function select(i) {
    var redraw = selected !== i && svg.getAttribute('data-edges') > EDGE_LIMIT;
    if (collapsed[D.endpoints[i].ns]) { collapsed[D.endpoints[i].ns] = false; redraw = true; }
    selected = i;
    if (redraw) drawGraph(); else markSelection();
    showPod(i);
  }

  // ---- details panel ---------------------------------------------------------------------------------------------
  var panel = document.getElementById('details');
  function policyLinks(reasonItem) {
    return reasonItem.policies.map(function (pi) {
      return h('a', { href: '#policy-' + pi, text: D.policies[pi].key });
    });
  }
  function whyBlock(reasonItem, portText) {
    var box = h('div', { 'class': 'why' });
    reasonItem.lines.forEach(function (line) { append(box, h('div', { text: line.split('{port}').join(portText) })); });
    var links = policyLinks(reasonItem);
    if (links.length) {
      var row = h('div', null, 'policies: ');
      links.forEach(function (a, k) { if (k) append(row, ', '); append(row, a); });
      append(box, row);
    }
    return box;
  }
  function labelList(labels) {
    var keys = Object.keys(labels);
    return keys.length ? keys.map(function (k) { return k + '=' + labels[k]; }).join(', ') : '(none)';
  }

  // Peers grouped by their verdicts and reasons in every port group.
  function peerSection(i, incoming) {
    var sets = {}, order = [];
    for (var q = 0; q < N; q++) {
      if (q === i) continue;
      var r = incoming ? q : i, c = incoming ? i : q;
      var sig = groups.map(function (_, gi) { return (allowed(gi, r, c) ? 'a' : 'd') + reasonIndex(gi, r, c); }).join(',');
      if (!sets[sig]) { sets[sig] = { peers: [], r: r, c: c }; order.push(sig); }
      sets[sig].peers.push(q);
    }
    var can = [], cannot = [];
    order.forEach(function (sig) {
      var set = sets[sig];
      var anyAllowed = groups.some(function (_, gi) { return allowed(gi, set.r, set.c); });
      (anyAllowed ? can : cannot).push(set);
    });
    var count = function (list) { return list.reduce(function (n, x) { return n + x.peers.length; }, 0); };
    var section = h('section', { 'data-direction': incoming ? 'in' : 'out' });
    append(section, h('h3', { text: (incoming ? 'Can reach it: ' : 'It can reach: ') + plural(count(can), 'endpoint') }));
    append(section, peerList(can, incoming, true));
    if (cannot.length) {
      var more = h('details', null, h('summary', { text: (incoming ? 'Cannot reach it: ' : 'It cannot reach: ') + plural(count(cannot), 'endpoint') }));
      append(more, peerList(cannot, incoming, false));
      append(section, more);
    }
    return section;
  }
  function peerList(sets, incoming, open) {
    var list = h('ul', { 'class': 'peers' });
    sets.forEach(function (set) {
      var shown = set.peers.slice(0, 8).map(function (q) { return names[q]; }).join(', ');
      var who = h('div', { 'class': 'who', text: shown });
      if (set.peers.length > 8) {
        var rest = h('details', null, h('summary', { text: 'and ' + (set.peers.length - 8) + ' more' }),
          h('div', { text: set.peers.slice(8).map(function (q) { return names[q]; }).join(', ') }));
        append(who, rest);
      }
      var item = h('li', { 'data-peers': set.peers.map(function (q) { return names[q]; }).join(' ') }, who);
      groups.forEach(function (g, gi) {
        var ok = allowed(gi, set.r, set.c);
        var why = reason(gi, set.r, set.c);
        var parts = [h('span', { 'class': 'verdict ' + (ok ? 'allowed' : 'denied'), text: ok ? 'allowed ' : 'denied ' }), h('span', { 'class': 'mono', text: g.label })];
        var block = whyBlock(why, g.label);
        if (ok === (open ? 1 : 0) || groups.length === 1) { append(item, [h('div', { 'class': 'ports' }, parts), block]); }
        else { append(item, h('details', null, h('summary', { 'class': 'ports' }, parts), block)); }
      });
      append(list, item);
    });
    return list;
  }
  function showPod(i) {
    var e = D.endpoints[i];
    clear(panel);
    append(panel, h('h2', { text: names[i], 'data-selected': names[i] }));
    append(panel, h('dl', null,
      h('dt', { text: 'kind' }), h('dd', { text: e.kind === 'host' ? 'host endpoint' : e.kind === 'hostNetwork' ? 'pod (hostNetwork: selected by no policy)' : 'pod' }),
      h('dt', { text: 'node' }), h('dd', { text: e.node || '(none)' }),
      h('dt', { text: 'addresses' }), h('dd', { text: e.ips.join(', ') || '(none)' }),
      h('dt', { text: 'labels' }), h('dd', { text: labelList(e.labels) }),
      h('dt', { text: 'namespace labels' }), h('dd', { text: labelList(D.namespaces[e.ns].labels) }),
      h('dt', { text: 'ports' }), h('dd', { text: e.ports.join(', ') || '(none declared)' })));
    append(panel, peerSection(i, true));
    append(panel, peerSection(i, false));
  }
  function showPair(r, c) {
    clear(panel);
    append(panel, h('h2', { text: names[r] + ' \u2192 ' + names[c], 'data-selected': names[r] + '->' + names[c] }));
    groups.forEach(function (g, gi) {
      var ok = allowed(gi, r, c);
      append(panel, h('div', { 'class': 'ports' }, h('span', { 'class': 'verdict ' + (ok ? 'allowed' : 'denied'), text: ok ? 'ALLOWED ' : 'DENIED ' }), h('span', { 'class': 'mono', text: g.label })));
      append(panel, whyBlock(reason(gi, r, c), g.label));
    });
  }

  // ---- heat map --------------------------------------------------------------------------------------------------
  var canvas = document.getElementById('heatmap');
  var heatPort = document.getElementById('heatmap-port');
  var tip = document.getElementById('heatmap-tip');
  fillPortSelect(heatPort);
  heatPort.addEventListener('change', drawHeatmap);
  var cell = Math.max(2, Math.min(30, Math.floor(900 / Math.max(1, N))));
  var showNames = cell >= 10;
  var margin = showNames ? Math.min(240, 12 + 7 * names.reduce(function (m, n) { return Math.max(m, n.length); }, 4)) : 110;
  function color(fraction) {
    if (fraction >= 1) return '#1a9850';
    if (fraction <= 0) return '#d73027';
    return fraction >= 0.5 ? '#a6d96a' : '#fdae61';
  }
  function drawHeatmap() {
    var port = Number(heatPort.value), gs = groupsFor(port);
    var size = N * cell;
    canvas.width = margin + size + 10;
    canvas.height = margin + size + 10;
    var ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    var weight = gs.map(function (gi) { return port < 0 ? groups[gi].ports.length : 1; });
    var totalWeight = weight.reduce(function (a, b) { return a + b; }, 0) || 1;
    for (var r = 0; r < N; r++) {
      for (var c = 0; c < N; c++) {
        var sum = 0;
        for (var k = 0; k < gs.length; k++) if (allowed(gs[k], r, c)) sum += weight[k];
        ctx.fillStyle = color(sum / totalWeight);
        ctx.fillRect(margin + c * cell, margin + r * cell, cell, cell);
      }
    }
    ctx.strokeStyle = '#24292f';
    ctx.lineWidth = 1;
    ctx.fillStyle = '#1f2328';
    ctx.font = '11px system-ui, sans-serif';
    var start = 0;
    members.forEach(function (m, k) {
      var a = margin + start * cell, b = margin + (start + m.length) * cell;
      ctx.beginPath(); ctx.moveTo(margin, b + 0.5); ctx.lineTo(margin + size, b + 0.5); ctx.moveTo(b + 0.5, margin); ctx.lineTo(b + 0.5, margin + size); ctx.stroke();
      if (!showNames) {
        ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
        ctx.fillText(D.namespaces[k].name.substring(0, 16), margin - 6, (a + b) / 2);
        ctx.save(); ctx.translate((a + b) / 2, margin - 6); ctx.rotate(-Math.PI / 2); ctx.textAlign = 'left'; ctx.fillText(D.namespaces[k].name.substring(0, 16), 0, 0); ctx.restore();
      }
      start += m.length;
    });
    if (showNames) {
      ctx.textBaseline = 'middle';
      names.forEach(function (n, i) {
        ctx.textAlign = 'right'; ctx.fillText(n, margin - 6, margin + i * cell + cell / 2);
        ctx.save(); ctx.translate(margin + i * cell + cell / 2, margin - 6); ctx.rotate(-Math.PI / 2); ctx.textAlign = 'left'; ctx.fillText(n, 0, 0); ctx.restore();
      });
    }
    ctx.strokeRect(margin + 0.5, margin + 0.5, size, size);
    canvas.setAttribute('data-rendered', 'true');
    canvas.setAttribute('data-cells', N * N);
    canvas.setAttribute('data-allowed', countAllowed(port));
  }
  function countAllowed(port) {
    var n = 0;
    for (var r = 0; r < N; r++) for (var c = 0; c < N; c++) if (portsAllowed(r, c, port).length) n++;
    return n;
  }
  function cellAt(ev) {
    var rect = canvas.getBoundingClientRect();
    var c = Math.floor((ev.clientX - rect.left - margin) / cell), r = Math.floor((ev.clientY - rect.top - margin) / cell);
    return r >= 0 && c >= 0 && r < N && c < N ? [r, c] : null;
  }
  canvas.addEventListener('mousemove', function (ev) {
    var at = cellAt(ev);
    if (!at) { tip.hidden = true; return; }
    var ports = portsAllowed(at[0], at[1], Number(heatPort.value));
    tip.textContent = names[at[0]] + ' \u2192 ' + names[at[1]] + ': ' + (ports.length ? 'allowed on ' + ports.map(function (p) { return D.ports[p]; }).join(', ') : 'denied');
    tip.hidden = false;
    tip.style.left = (ev.offsetX + 14) + 'px';
    tip.style.top = (ev.offsetY + 10) + 'px';
  });
  canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
  canvas.addEventListener('click', function (ev) { var at = cellAt(ev); if (at) showPair(at[0], at[1]); });

  // ---- policies and findings -------------------------------------------------------------------------------------
  var flagged = {};
  findings.forEach(function (f) {
    if (f.policyIndex >= 0) (flagged[f.policyIndex + ':' + f.line] = flagged[f.policyIndex + ':' + f.line] || []).push(f.rule);
  });
  function lineAnchor(f) {
    var p = D.policies[f.policyIndex];
    if (!p) return null;
    return f.line >= p.start && f.line < p.start + p.lines.length ? 'p' + f.policyIndex + '-L' + f.line : 'policy-' + f.policyIndex;
  }
  var policyBox = document.getElementById('policies');
  if (!D.policies.length) append(policyBox, h('p', { 'class': 'hint', text: 'No policies.' }));
  D.policies.forEach(function (p, pi) {
    var pre = h('pre');
    p.lines.forEach(function (text, k) {
      var n = p.start + k, marks = flagged[pi + ':' + n];
      append(pre, h('span', { 'class': 'line' + (marks ? ' flagged' : ''), id: 'p' + pi + '-L' + n, 'data-line': n },
        h('span', { 'class': 'ln', text: String(n) }), text, marks ? h('span', { 'class': 'mark', text: '\u25c0 ' + marks.join(', ') }) : null, '\n'));
    });
    append(policyBox, h('article', { 'class': 'policy', id: 'policy-' + pi, 'data-policy': p.key },
      h('h3', null, p.key, h('span', { 'class': 'where', text: (p.file >= 0 ? D.files[p.file] : '?') + ':' + p.start })), pre));
  });

  var status = document.getElementById('lint-status');
  status.textContent = D.lint.available
    ? (findings.length ? plural(findings.length, 'finding') + ' (netpolhost lint gives the same).' : 'No findings.') + (D.lint.notes.length ? ' ' + D.lint.notes.join(' ') : '')
    : 'Lint was not run: ' + (D.lint.notes.join(' ') || 'not available in this build.');
  var list = document.getElementById('findings');
  list.setAttribute('data-count', findings.length);
  findings.forEach(function (f) {
    var anchor = lineAnchor(f);
    var place = (f.file >= 0 ? D.files[f.file] : '?') + ':' + f.line + ':' + f.column;
    var item = h('li', { 'class': 'finding', 'data-finding': f.rule, 'data-policy': f.policy, 'data-line': f.line },
      h('div', null, h('span', { 'class': 'sev sev-' + f.severity, text: f.severity }), h('span', { 'class': 'rule', text: f.rule + ' ' }), f.message),
      h('div', { 'class': 'place' }, anchor ? h('a', { href: '#' + anchor, 'class': 'goto', text: place }) : place, ' \u00b7 ' + f.policy + ' \u00b7 ', h('code', { text: f.path })),
      f.suggestion ? h('div', { 'class': 'suggestion' }, h('strong', { text: 'Suggestion: ' }), f.suggestion) : null,
      f.related.length ? h('div', { 'class': 'meta', text: 'Related: ' + f.related.join('; ') }) : null,
      f.podCount ? h('div', { 'class': 'meta', text: 'Affects ' + plural(f.podCount, 'pod') + ': ' + f.pods.join(', ') + (f.podCount > f.pods.length ? ', \u2026' : '') }) : null);
    append(list, item);
  });

  // ---- start -----------------------------------------------------------------------------------------------------
  drawGraph();
  drawHeatmap();
  // #pod=ns/name selects a pod, #pair=a->b shows a pair (links can be shared; tests use them).
  var m = /^#(pod|pair)=(.*)$/.exec(decodeURIComponent(location.hash));
  if (m && m[1] === 'pod' && byName[m[2]] !== undefined) select(byName[m[2]]);
  if (m && m[1] === 'pair') {
    var ends = m[2].split('->');
    if (byName[ends[0]] !== undefined && byName[ends[1]] !== undefined) showPair(byName[ends[0]], byName[ends[1]]);
  }
  document.body.setAttribute('data-report', 'rendered');
})();
