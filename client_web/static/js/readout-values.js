// Types of read-out items, the twin of crypto/bidseal/readout.py: both pass
// tests/vectors/readout/readout-values-v1.json.

export const MAX_TEXT_ITEM_LENGTH = 200;

const CANONICAL = {
  amount: /^(0|[1-9][0-9]{0,11})\.[0-9]{2}$/,
  days: /^(0|[1-9][0-9]{0,5})$/,
  percent: /^(0|[1-9][0-9]?|100)(\.[0-9]{1,2})?$/,
};
const TYPED_AMOUNT = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Whether a sealed value is in the canonical spelling of its type. */
export function conforms(type, value, maxLength = MAX_TEXT_ITEM_LENGTH) {
  if (type === "text") {
    return value.trim() !== "" && !CONTROL.test(value) && [...value].length <= maxLength;
  }
  if (!CANONICAL[type]?.test(value)) return false;
  // 100.5 passes the pattern of a percentage; only the value can refuse it.
  return type !== "percent" || !/^100\.[0-9]*[1-9]/.test(value);
}

/** The value to seal for what a bidder typed; throws an Error whose message is the reason code. */
export function normalize(type, text, maxLength = MAX_TEXT_ITEM_LENGTH) {
  if (type === "amount") {
    if (!TYPED_AMOUNT.test(text)) throw new Error("not_amount");
    const [whole, cents = ""] = text.split(".");
    return `${whole}.${cents.padEnd(2, "0")}`;
  }
  if (conforms(type, text, maxLength)) return text;
  if (type === "text") {
    throw new Error(text.trim() !== "" && [...text].length > maxLength ? "too_long" : "not_text");
  }
  throw new Error(`not_${type}`);
}

/** A canonical amount with thousands separators: 8650000.00 -> 8,650,000.00. */
export function formatAmount(amount) {
  const [whole, cents] = amount.split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`;
}

const DIGITS = "零壹贰叁肆伍陆柒捌玖";
const PLACES = ["仟", "佰", "拾", ""];
const GROUPS = ["亿", "万", ""];

/** A canonical amount in Chinese capitals (大写): 8650000.00 -> 捌佰陆拾伍万元整. */
export function amountInCapitals(amount) {
  const [whole, cents] = amount.split(".");
  const digits = whole.padStart(12, "0");
  const out = [];
  let zeroPending = false;
  GROUPS.forEach((unit, groupIndex) => {
    const group = digits.slice(groupIndex * 4, groupIndex * 4 + 4);
    [...group].forEach((digit, place) => {
      if (digit === "0") {
        zeroPending = out.length > 0;
        return;
      }
      if (zeroPending) {
        out.push("零");
        zeroPending = false;
      }
      out.push(DIGITS[Number(digit)] + PLACES[place]);
    });
    if (Number(group)) {
      // Zeros that end a group before its unit are not spoken: 壹佰万柒仟, not 壹佰万零柒仟.
      out.push(unit);
      zeroPending = false;
    }
  });
  const jiao = Number(cents[0]);
  const fen = Number(cents[1]);
  if (out.length) out.push("元");
  if (!jiao && !fen) return (out.join("") || "零元") + "整";
  if (jiao) out.push(`${DIGITS[jiao]}角`);
  else if (out.length) out.push("零");
  out.push(fen ? `${DIGITS[fen]}分` : "整");
  return out.join("");
}

/** Whether a canonical amount is above the lot's ceiling (最高投标限价). */
export function exceedsCeiling(amount, ceiling) {
  if (ceiling == null) return false;
  const cents = (value) => BigInt(value.replace(".", ""));
  return cents(amount) > cents(ceiling);
}

/** A read-out value as one line of text: an amount with separators and its 大写. */
export function valueText(item, value) {
  if (item.type !== "amount" || !conforms("amount", value)) return value;
  return `${formatAmount(value)}（${amountInCapitals(value)}）`;
}
