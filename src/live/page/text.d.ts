/**
 * What the live page inlines, imported as text (`with { type: 'text' }`): Bun hands each file's
 * contents as a string, in source runs and in the binary alike. (index.html is typed by
 * bun-types as an HTML bundle; live/page.ts reads it as the string it is.)
 */
declare module '*/page/page.css' {
  const text: string
  export default text
}
declare module '*/page/view.js' {
  const text: string
  export default text
}
declare module 'uplot/dist/uPlot.iife.min.js' {
  const text: string
  export default text
}
declare module 'uplot/dist/uPlot.min.css' {
  const text: string
  export default text
}
