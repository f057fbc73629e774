@area.interop
Feature: Every kind of institution the SUT will meet (扫码互认)
  The simulated network has peers modelled on the institutions an implementation meets in
  production (mocks/network.json): wallets whose payment codes follow WeChat's, Alipay's and
  UnionPay's rules, and acquirers whose merchant codes name them by an EMV template GUID, by
  UnionPay ID 15, or as a URL. Interconnection means the SUT takes them all.

  @tc.IOP-01-<persona> @req.R-FLOW-01 @req.R-FLOW-12 @role.acquirer
  Scenario Outline: The SUT's terminal takes a payment code from the wallet of <persona>, <institution.name>
    Given a payer account at the <persona> holding 100.00 CNY
    And the <persona>'s wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the <persona> holds 70.00 CNY

    @rows.issuer-personas
    Examples: every wallet of the simulated network (mocks/network.json)
      | persona | institution.name |

  @tc.IOP-02-<persona> @req.R-FLOW-01 @req.R-FLOW-12 @role.issuer
  Scenario Outline: The SUT's wallet pays a merchant code of <persona>, <institution.name>, in <codes.merchant_codes> style
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the <persona>'s acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the SUT's wallet and pays 12.00 CNY
    Then the SUT reports the payment as approved
    And the <persona>'s acquirer recorded a credit of 12.00 CNY to the merchant
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 88.00 CNY

    @rows.acquirer-personas
    Examples: every acquirer of the simulated network (mocks/network.json)
      | persona | institution.name | codes.merchant_codes |

  @tc.IOP-03-<persona> @req.R-FLOW-01 @req.R-FLOW-12 @role.acquirer
  Scenario Outline: A payer pays the SUT's static merchant code in the wallet of <persona>, <institution.name>
    Given a payer account at the <persona> holding 100.00 CNY
    And a static merchant code of the SUT's acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the <persona>'s wallet and pays 12.00 CNY
    Then the <persona> reports the payment as approved
    And the SUT's acquirer recorded a credit of 12.00 CNY to the merchant
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the <persona> holds 88.00 CNY

    @rows.issuer-personas
    Examples: every wallet of the simulated network (mocks/network.json)
      | persona | institution.name |

  @tc.IOP-04-<persona> @req.R-FLOW-01 @req.R-MPM-14 @role.acquirer @feature.dynamic-mpm
  Scenario Outline: A payer pays the SUT's dynamic merchant code in the wallet of <persona>, <institution.name>
    Given a payer account at the <persona> holding 100.00 CNY
    And a dynamic merchant code of the SUT's acquirer for 25.00 CNY
    When the payer scans the merchant code in the <persona>'s wallet
    Then the <persona> reports the payment as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the <persona> holds 75.00 CNY

    @rows.issuer-personas
    Examples: every wallet of the simulated network (mocks/network.json)
      | persona | institution.name |

  @tc.IOP-05-<persona> @req.R-FLOW-01 @req.R-FLOW-12 @role.issuer
  Scenario Outline: The terminal of <persona>, <institution.name>, takes a payment code from the SUT's wallet
    Given a payer account at the SUT holding 100.00 CNY
    And the SUT's wallet shows a payment code for that account
    When the terminal of the <persona>'s acquirer scans the payment code for 30.00 CNY
    Then the <persona>'s acquirer reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 70.00 CNY

    @rows.acquirer-personas
    Examples: every acquirer of the simulated network (mocks/network.json)
      | persona | institution.name |
