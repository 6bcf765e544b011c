// One metric's series as a uPlot chart: the average line, the min-max spread, and the metric's
// threshold bands (normal green, warning amber) drawn by uPlot's own band fills between
// constant series, so nothing here draws on a canvas by hand.
import uPlot from 'uplot';

const GREEN = 'rgba(46, 160, 67, 0.14)';
const AMBER = 'rgba(227, 160, 8, 0.16)';

function constant(length, value) {
  return Array.from({ length }, () => (typeof value === 'number' ? value : null));
}

// points: [{at, avg, min, max}] oldest first; bands: {normal: {low, high}, warning: {...}};
// from, to: the range asked for (Date). The x axis always shows the whole range, and empty
// samples at both ends let the bands span it however few points there are.
export function metricChart(container, metric, points, bands, width, from, to) {
  const xs = [from.getTime() / 1000, ...points.map((point) => Date.parse(point.at) / 1000), to.getTime() / 1000];
  const column = (key) => [null, ...points.map((point) => point[key]), null];
  const data = [xs, column('avg'), column('min'), column('max')];
  const series = [
    {},
    { label: `${metric} avg`, stroke: '#1f6feb', width: 2 },
    { label: 'min', stroke: 'rgba(31, 111, 235, 0.35)', width: 1 },
    { label: 'max', stroke: 'rgba(31, 111, 235, 0.35)', width: 1 },
  ];
  const fills = [{ series: [3, 2], fill: 'rgba(31, 111, 235, 0.10)' }];
  const edge = (label, value) => {
    data.push(constant(xs.length, value));
    series.push({ label, stroke: 'rgba(0, 0, 0, 0.25)', width: 1, dash: [4, 4], points: { show: false } });
    return data.length - 1;
  };
  const normal = bands?.normal || {};
  const warning = bands?.warning || {};
  if (typeof normal.low === 'number' && typeof normal.high === 'number') {
    const high = edge('normal high', normal.high);
    const low = edge('normal low', normal.low);
    fills.push({ series: [high, low], fill: GREEN });
    if (typeof warning.high === 'number') fills.push({ series: [edge('warning high', warning.high), high], fill: AMBER });
    if (typeof warning.low === 'number') fills.push({ series: [low, edge('warning low', warning.low)], fill: AMBER });
  }
  return new uPlot(
    {
      width,
      height: 220,
      series,
      bands: fills,
      scales: { x: { time: true, range: [xs[0], xs[xs.length - 1]] } },
      axes: [{}, { label: metric }],
      legend: { live: false },
    },
    data,
    container,
  );
}
