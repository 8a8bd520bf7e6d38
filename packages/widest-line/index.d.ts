/** The width of the widest line of `text`, in terminal columns (string-width's count). */
export default function widestLine(text: string): number;
