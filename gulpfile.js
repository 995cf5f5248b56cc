const { parallel, src, dest } = require('gulp');

// tsc compiles the TypeScript but does not copy icons; n8n loads them from dist/.
// encoding: false keeps binary icons (png) byte-exact under gulp 5.
const copy = (folder) =>
	function copyIcons() {
		return src(`${folder}/**/*.{png,svg}`, { encoding: false }).pipe(dest(`dist/${folder}`));
	};

exports['build:icons'] = parallel(copy('nodes'), copy('credentials'));
