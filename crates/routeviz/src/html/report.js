(function () {
  'use strict';
  var doc = document;
  var errors = [];
  window.routevizErrors = errors;
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });

  var data = JSON.parse(doc.getElementById('routeviz-data').textContent);
  var svg = doc.querySelector('#map svg');
  var mapBox = doc.getElementById('map');
  var panel = doc.getElementById('detail');
  var searchBox = doc.getElementById('search');
  var searchStatus = doc.getElementById('search-status');
  var focusStatus = doc.getElementById('focus-status');
  var asToggle = doc.getElementById('as-view-toggle');

  // Every drawn id to its entry of the data island.
  var byId = new Map();
  data.nodes.forEach(function (n) {
    n.ids.forEach(function (id) { byId.set(id, n); });
  });

  function el(tag, text, cls) {
    var e = doc.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function traceLabel(i) {
    var t = data.traces[i];
    return t ? t.label : String(i);
  }

  function swatch(i) {
    var s = el('span', null, 'swatch');
    var t = data.traces[i];
    if (t) { s.style.backgroundColor = t.color; }
    return s;
  }

  // The detail panel, built from text nodes only.
  function show(entry) {
    panel.replaceChildren();
    panel.appendChild(el('h2', entry.title));
    var dl = el('dl');
    entry.fields.forEach(function (f) {
      dl.appendChild(el('dt', f.label));
      dl.appendChild(el('dd', f.value));
    });
    panel.appendChild(dl);
    if (entry.visits.length > 0) {
      panel.appendChild(el('h3', 'Per trace'));
      var table = el('table');
      var head = el('tr');
      ['Trace', 'TTL', 'RTT min / avg / max', 'Loss', 'Replies'].forEach(function (h) {
        head.appendChild(el('th', h));
      });
      table.appendChild(head);
      entry.visits.forEach(function (v) {
        var tr = el('tr');
        tr.className = 'visit';
        var name = el('td');
        name.appendChild(swatch(v.trace));
        name.appendChild(doc.createTextNode(traceLabel(v.trace)));
        tr.appendChild(name);
        [v.ttl, v.rtt, v.loss, v.replies].forEach(function (c) { tr.appendChild(el('td', c)); });
        table.appendChild(tr);
      });
      panel.appendChild(table);
    } else if (entry.traces.length > 0) {
      panel.appendChild(el('h3', 'Traces'));
      var ul = el('ul');
      entry.traces.forEach(function (i) {
        var li = el('li');
        li.appendChild(swatch(i));
        li.appendChild(doc.createTextNode(traceLabel(i)));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
  }

  // Hover shows a node; a click keeps it until another click.
  var pinned = null;
  function nodeOf(target) {
    var g = target && target.closest ? target.closest('.node') : null;
    return g && byId.has(g.id) ? g : null;
  }
  svg.addEventListener('mouseover', function (e) {
    var g = nodeOf(e.target);
    if (g && !pinned) { show(byId.get(g.id)); }
  });
  svg.addEventListener('click', function (e) {
    if (moved) { return; }
    var legend = e.target.closest ? e.target.closest('.legend-entry') : null;
    if (legend) {
      focusTrace(Number(legend.id.replace('legend-', '')));
      return;
    }
    var g = nodeOf(e.target);
    if (pinned) { pinned.classList.remove('pinned'); }
    pinned = g && g !== pinned ? g : null;
    if (pinned) {
      pinned.classList.add('pinned');
      show(byId.get(pinned.id));
    }
  });

  // One trace highlighted, the others dimmed.
  var focused = null;
  function setDim(node, dim) { if (node) { node.classList.toggle('dim', dim); } }
  function focusTrace(i) {
    focused = focused === i || !data.traces[i] ? null : i;
    var on = focused !== null;
    svg.querySelectorAll('.edge[data-trace]').forEach(function (p) {
      setDim(p, on && Number(p.getAttribute('data-trace')) !== focused);
    });
    svg.querySelectorAll('.as-edge').forEach(function (p) {
      var ts = p.getAttribute('data-traces').split(' ').map(Number);
      setDim(p, on && ts.indexOf(focused) < 0);
    });
    byId.forEach(function (entry, id) {
      setDim(doc.getElementById(id), on && entry.traces.indexOf(focused) < 0);
    });
    svg.querySelectorAll('.legend-entry').forEach(function (g) {
      var mine = g.id === 'legend-' + focused;
      g.classList.toggle('on', on && mine);
      setDim(g, on && !mine);
    });
    focusStatus.textContent = on ? 'Showing ' + traceLabel(focused) : '';
  }

  // Search: an address, a name or an AS, as part of any of a node's terms.
  function visible(entry) {
    return entry.ids.some(function (id) {
      var g = doc.getElementById(id);
      return g !== null && g.getClientRects().length > 0;
    });
  }
  function search() {
    var q = searchBox.value.trim().toLowerCase();
    var hits = [];
    data.nodes.forEach(function (entry) {
      var hit = q !== '' && entry.terms.some(function (t) { return t.indexOf(q) >= 0; });
      entry.ids.forEach(function (id) {
        var g = doc.getElementById(id);
        if (g) {
          g.classList.toggle('match', hit);
          g.classList.toggle('miss', q !== '' && !hit);
        }
      });
      if (hit && visible(entry)) { hits.push(entry); }
    });
    if (q === '') {
      searchStatus.textContent = '';
    } else if (hits.length === 0) {
      searchStatus.textContent = 'no match';
    } else {
      searchStatus.textContent = hits.length + (hits.length === 1 ? ' match' : ' matches');
      if (!pinned) { show(hits[0]); }
    }
  }
  searchBox.addEventListener('input', search);

  asToggle.addEventListener('click', function () {
    var on = svg.classList.toggle('as-level');
    asToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    search();
  });

  // Pan and zoom, by the viewBox; the map starts at the top of its pane.
  svg.setAttribute('preserveAspectRatio', 'xMidYMin meet');
  var base = svg.viewBox.baseVal;
  var home = [base.x, base.y, base.width, base.height];
  var view = home.slice();
  function apply() { svg.setAttribute('viewBox', view.join(' ')); }
  function zoom(f, cx, cy) {
    var w = Math.min(Math.max(view[2] / f, home[2] / 50), home[2] * 4);
    var k = view[2] / w;
    view = [cx - (cx - view[0]) / k, cy - (cy - view[1]) / k, view[2] / k, view[3] / k];
    apply();
  }
  function centre() { return [view[0] + view[2] / 2, view[1] + view[3] / 2]; }
  function toMap(e) {
    var m = svg.getScreenCTM();
    var p = svg.createSVGPoint();
    p.x = e.clientX;
    p.y = e.clientY;
    return m ? p.matrixTransform(m.inverse()) : { x: centre()[0], y: centre()[1] };
  }
  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var p = toMap(e);
    zoom(e.deltaY < 0 ? 1.25 : 0.8, p.x, p.y);
  }, { passive: false });
  doc.getElementById('zoom-in').addEventListener('click', function () {
    var c = centre();
    zoom(1.25, c[0], c[1]);
  });
  doc.getElementById('zoom-out').addEventListener('click', function () {
    var c = centre();
    zoom(0.8, c[0], c[1]);
  });
  doc.getElementById('zoom-reset').addEventListener('click', function () {
    view = home.slice();
    apply();
  });
  var drag = null;
  var moved = false;
  svg.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) { return; }
    drag = { x: e.clientX, y: e.clientY, view: view.slice() };
    moved = false;
  });
  window.addEventListener('pointermove', function (e) {
    if (!drag) { return; }
    var m = svg.getScreenCTM();
    var dx = e.clientX - drag.x;
    var dy = e.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    moved = true;
    mapBox.classList.add('dragging');
    var s = m ? m.a : 1;
    view = [drag.view[0] - dx / s, drag.view[1] - dy / s, view[2], view[3]];
    apply();
  });
  window.addEventListener('pointerup', function () {
    drag = null;
    mapBox.classList.remove('dragging');
  });
  doc.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      if (focused !== null) { focusTrace(focused); }
      searchBox.value = '';
      search();
    }
  });

  doc.documentElement.setAttribute('data-ready', '1');
}());
